//! Eligibility criteria: the typed rules an instance sets for who may enroll.

use serde::Serialize;
use serde_json::Value;

use crate::strict_json::{child, non_negative_number, object, reject_unknown, string_list};
use crate::violation::{Violation, Violations};

const LIST_LIMITS: (usize, usize) = (1_000, 100);

/// Every criterion is optional; a set one must be met. Lists match case-insensitively.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EligibilityCriteria {
    #[serde(skip_serializing_if = "Option::is_none")]
    regions: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_codes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    device_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    minimum_capacity: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    maximum_capacity: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_types: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    utilities: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    manufacturers: Option<Vec<String>>,
}

const KNOWN: [&str; 8] = [
    "regions",
    "postalCodes",
    "deviceTypes",
    "minimumCapacity",
    "maximumCapacity",
    "customerTypes",
    "utilities",
    "manufacturers",
];

impl EligibilityCriteria {
    /// Parses the strict JSON form. Violation pointers are relative to the criteria object;
    /// a member set to `null` counts as absent.
    pub fn from_json(value: Value) -> Result<Self, Violations> {
        let mut violations = Violations::new();
        let Some(members) = object(&value, "", &mut violations) else {
            return Err(violations);
        };
        reject_unknown(members, &KNOWN, "", &mut violations);
        let present = |key: &str| members.get(key).filter(|value| !value.is_null());
        let list = |key: &str, violations: &mut Violations| {
            present(key)
                .and_then(|value| string_list(value, &child("", key), LIST_LIMITS, violations))
        };
        let criteria = Self {
            regions: list("regions", &mut violations),
            postal_codes: list("postalCodes", &mut violations),
            device_types: list("deviceTypes", &mut violations),
            customer_types: list("customerTypes", &mut violations),
            utilities: list("utilities", &mut violations),
            manufacturers: list("manufacturers", &mut violations),
            minimum_capacity: present("minimumCapacity")
                .and_then(|value| non_negative_number(value, "/minimumCapacity", &mut violations)),
            maximum_capacity: present("maximumCapacity")
                .and_then(|value| non_negative_number(value, "/maximumCapacity", &mut violations)),
        };
        if let (Some(minimum), Some(maximum)) =
            (criteria.minimum_capacity, criteria.maximum_capacity)
            && maximum < minimum
        {
            violations.push(Violation::new(
                "/maximumCapacity",
                "below_minimum",
                "maximumCapacity must not be less than minimumCapacity",
            ));
        }
        violations.into_result(criteria)
    }

    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    pub fn regions(&self) -> Option<&[String]> {
        self.regions.as_deref()
    }
    pub fn postal_codes(&self) -> Option<&[String]> {
        self.postal_codes.as_deref()
    }
    pub fn device_types(&self) -> Option<&[String]> {
        self.device_types.as_deref()
    }
    pub fn minimum_capacity(&self) -> Option<f64> {
        self.minimum_capacity
    }
    pub fn maximum_capacity(&self) -> Option<f64> {
        self.maximum_capacity
    }
    pub fn customer_types(&self) -> Option<&[String]> {
        self.customer_types.as_deref()
    }
    pub fn utilities(&self) -> Option<&[String]> {
        self.utilities.as_deref()
    }
    pub fn manufacturers(&self) -> Option<&[String]> {
        self.manufacturers.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn codes(value: Value) -> Vec<(String, &'static str)> {
        EligibilityCriteria::from_json(value)
            .unwrap_err()
            .into_iter()
            .map(|v| (v.pointer, v.code))
            .collect()
    }

    #[test]
    fn the_documented_example_parses_and_round_trips() {
        let example =
            json!({"regions": ["NY"], "deviceTypes": ["battery"], "minimumCapacity": 5.0});
        let criteria = EligibilityCriteria::from_json(example.clone()).unwrap();
        assert_eq!(criteria.to_json(), example);
    }

    #[test]
    fn every_key_of_the_contract_is_accepted() {
        let full = json!({ "regions": ["NY"], "postalCodes": ["10001"], "deviceTypes": ["battery"],
            "minimumCapacity": 5.0, "maximumCapacity": 20.0, "customerTypes": ["residential"],
            "utilities": ["coned"], "manufacturers": ["tesla"] });
        assert_eq!(
            EligibilityCriteria::from_json(full.clone())
                .unwrap()
                .to_json(),
            full
        );
    }

    #[test]
    fn unknown_keys_are_named() {
        assert_eq!(
            codes(json!({"region": ["NY"]})),
            [("/region".to_owned(), "unknown_field")]
        );
    }

    #[test]
    fn empty_and_duplicate_lists_are_refused() {
        assert_eq!(
            codes(json!({"regions": []})),
            [("/regions".to_owned(), "empty")]
        );
        assert_eq!(
            codes(json!({"regions": ["NY", "ny"]})),
            [("/regions/1".to_owned(), "duplicate")]
        );
        assert_eq!(
            codes(json!({"utilities": [""]})),
            [("/utilities/0".to_owned(), "blank")]
        );
        assert_eq!(
            codes(json!({"utilities": "coned"})),
            [("/utilities".to_owned(), "invalid_type")]
        );
    }

    #[test]
    fn capacities_must_be_ordered_and_non_negative() {
        assert_eq!(
            codes(json!({"minimumCapacity": -1})),
            [("/minimumCapacity".to_owned(), "negative")]
        );
        assert_eq!(
            codes(json!({"minimumCapacity": 10, "maximumCapacity": 5})),
            [("/maximumCapacity".to_owned(), "below_minimum")]
        );
        assert_eq!(
            codes(json!({"maximumCapacity": "big"})),
            [("/maximumCapacity".to_owned(), "invalid_type")]
        );
    }

    #[test]
    fn non_objects_are_refused() {
        assert_eq!(codes(json!(["NY"])), [(String::new(), "invalid_type")]);
    }

    #[test]
    fn null_members_count_as_absent() {
        let criteria = EligibilityCriteria::from_json(json!({"regions": null})).unwrap();
        assert_eq!(criteria, EligibilityCriteria::default());
    }

    proptest! {
        #[test]
        fn parsed_criteria_round_trip_through_json(
            regions in proptest::option::of(proptest::collection::hash_set("[a-z]{1,6}", 1..5)),
            minimum in proptest::option::of(0.0f64..100.0),
            extra in 0.0f64..100.0,
        ) {
            let mut value = json!({});
            if let Some(regions) = regions {
                value["regions"] = json!(regions.into_iter().collect::<Vec<_>>());
            }
            if let Some(minimum) = minimum {
                value["minimumCapacity"] = json!(minimum);
                value["maximumCapacity"] = json!(minimum + extra);
            }
            let criteria = EligibilityCriteria::from_json(value.clone()).unwrap();
            prop_assert_eq!(criteria.to_json(), value.clone());
            prop_assert_eq!(EligibilityCriteria::from_json(criteria.to_json()).unwrap(), criteria);
        }
    }
}
