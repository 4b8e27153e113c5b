//! Eligibility criteria: the typed rules an instance sets for who may enroll.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::strict_json::{Members, non_negative_number, string, string_list};
use crate::violation::{Violation, Violations};

/// At most 1,000 items per list, each an attribute an applicant could have.
const LIST_LIMITS: (usize, usize) = (1_000, MAX_ATTRIBUTE_CHARS);

/// Every criterion is optional; a set one must be met. Lists match case-insensitively.
///
/// `from_json` parses criteria from outside, checking every rule. Deserialising is the
/// trusted path, for criteria this crate checked and serialised before (read back from
/// storage): it checks nothing but the shape.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
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
        let mut read = Members::of(value, "", &KNOWN)?;
        let (max_items, max_chars) = LIST_LIMITS;
        let list = |read: &mut Members, key: &str| {
            read.read(key, string_list(max_items, max_chars)).optional()
        };
        let criteria = Self {
            regions: list(&mut read, "regions"),
            postal_codes: list(&mut read, "postalCodes"),
            device_types: list(&mut read, "deviceTypes"),
            customer_types: list(&mut read, "customerTypes"),
            utilities: list(&mut read, "utilities"),
            manufacturers: list(&mut read, "manufacturers"),
            minimum_capacity: read.read("minimumCapacity", non_negative_number).optional(),
            maximum_capacity: read.read("maximumCapacity", non_negative_number).optional(),
        };
        if let (Some(minimum), Some(maximum)) =
            (criteria.minimum_capacity, criteria.maximum_capacity)
            && maximum < minimum
        {
            read.violate(Violation::new(
                "/maximumCapacity",
                "below_minimum",
                "maximumCapacity must not be less than minimumCapacity",
            ));
        }
        read.finish(criteria)
    }

    /// The strict JSON form, as `from_json` reads it and as it serialises.
    pub fn to_json(&self) -> Value {
        let lists = [
            ("regions", &self.regions),
            ("postalCodes", &self.postal_codes),
            ("deviceTypes", &self.device_types),
            ("customerTypes", &self.customer_types),
            ("utilities", &self.utilities),
            ("manufacturers", &self.manufacturers),
        ];
        let numbers = [
            ("minimumCapacity", self.minimum_capacity),
            ("maximumCapacity", self.maximum_capacity),
        ];
        let mut members = serde_json::Map::new();
        for (key, list) in lists {
            if let Some(list) = list {
                members.insert(key.into(), Value::from(list.clone()));
            }
        }
        for (key, number) in numbers {
            if let Some(number) = number {
                members.insert(key.into(), Value::from(number));
            }
        }
        Value::Object(members)
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

/// What is known about someone who wants to enroll. Every attribute is optional; a
/// criterion about a missing attribute fails, saying so.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Applicant {
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub device_type: Option<String>,
    pub capacity: Option<f64>,
    pub customer_type: Option<String>,
    pub utility: Option<String>,
    pub manufacturer: Option<String>,
}

/// The longest attribute of an applicant, in characters.
pub const MAX_ATTRIBUTE_CHARS: usize = 200;

const APPLICANT_KEYS: [&str; 7] = [
    "region",
    "postalCode",
    "deviceType",
    "capacity",
    "customerType",
    "utility",
    "manufacturer",
];

impl Applicant {
    /// Parses the strict JSON form, every member optional; pointers are relative to it.
    pub fn from_json(value: Value) -> Result<Self, Violations> {
        let mut read = Members::of(value, "", &APPLICANT_KEYS)?;
        let mut text = |key: &str| read.read(key, string(MAX_ATTRIBUTE_CHARS)).optional();
        let applicant = Applicant {
            region: text("region"),
            postal_code: text("postalCode"),
            device_type: text("deviceType"),
            customer_type: text("customerType"),
            utility: text("utility"),
            manufacturer: text("manufacturer"),
            capacity: read.read("capacity", non_negative_number).optional(),
        };
        read.finish(applicant)
    }
}

/// The verdict on one criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    pub criterion: String,
    pub passed: bool,
    pub reason: String,
}

/// The verdict on every criterion an instance sets; eligible when all pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    pub eligible: bool,
    pub results: Vec<CriterionResult>,
}

fn list_verdict(
    criterion: &str,
    attribute: &str,
    allowed: &[String],
    given: Option<&str>,
) -> CriterionResult {
    let (passed, reason) = match given.map(str::trim).filter(|value| !value.is_empty()) {
        None => (false, format!("no {attribute} was given")),
        Some(value) => {
            let wanted = value.to_lowercase();
            if allowed
                .iter()
                .any(|candidate| candidate.to_lowercase() == wanted)
            {
                (true, format!("{attribute} {value} is eligible"))
            } else {
                (
                    false,
                    format!("{attribute} {value} is not one of {}", allowed.join(", ")),
                )
            }
        }
    };
    CriterionResult {
        criterion: criterion.to_owned(),
        passed,
        reason,
    }
}

fn bound_verdict(
    criterion: &str,
    bound: f64,
    given: Option<f64>,
    at_least: bool,
) -> CriterionResult {
    let (passed, reason) = match given {
        None => (false, "no capacity was given".to_owned()),
        Some(capacity) if at_least && capacity >= bound => (
            true,
            format!("capacity {capacity} meets the minimum of {bound}"),
        ),
        Some(capacity) if at_least => (
            false,
            format!("capacity {capacity} is below the minimum of {bound}"),
        ),
        Some(capacity) if capacity <= bound => (
            true,
            format!("capacity {capacity} is within the maximum of {bound}"),
        ),
        Some(capacity) => (
            false,
            format!("capacity {capacity} is above the maximum of {bound}"),
        ),
    };
    CriterionResult {
        criterion: criterion.to_owned(),
        passed,
        reason,
    }
}

impl EligibilityCriteria {
    /// One result per criterion set, in a fixed order; lists match case-insensitively.
    ///
    /// ```
    /// use domain::eligibility::{Applicant, EligibilityCriteria};
    /// use serde_json::json;
    ///
    /// let criteria = EligibilityCriteria::from_json(json!({"regions": ["NY"], "minimumCapacity": 5.0})).unwrap();
    /// let applicant = Applicant { region: Some("ny".into()), capacity: Some(4.0), ..Applicant::default() };
    /// let evaluation = criteria.evaluate(&applicant);
    /// assert!(!evaluation.eligible);
    /// assert_eq!(evaluation.results.len(), 2);
    /// assert!(evaluation.results[0].passed);
    /// assert_eq!(evaluation.results[1].reason, "capacity 4 is below the minimum of 5");
    /// ```
    pub fn evaluate(&self, applicant: &Applicant) -> Evaluation {
        let who = applicant;
        let list = |criterion, attribute, allowed: &Option<Vec<String>>, given: &Option<String>| {
            allowed
                .as_deref()
                .map(|allowed| list_verdict(criterion, attribute, allowed, given.as_deref()))
        };
        let results: Vec<CriterionResult> = [
            list("regions", "region", &self.regions, &who.region),
            list(
                "postalCodes",
                "postal code",
                &self.postal_codes,
                &who.postal_code,
            ),
            list(
                "deviceTypes",
                "device type",
                &self.device_types,
                &who.device_type,
            ),
            self.minimum_capacity
                .map(|minimum| bound_verdict("minimumCapacity", minimum, who.capacity, true)),
            self.maximum_capacity
                .map(|maximum| bound_verdict("maximumCapacity", maximum, who.capacity, false)),
            list(
                "customerTypes",
                "customer type",
                &self.customer_types,
                &who.customer_type,
            ),
            list("utilities", "utility", &self.utilities, &who.utility),
            list(
                "manufacturers",
                "manufacturer",
                &self.manufacturers,
                &who.manufacturer,
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        Evaluation {
            eligible: results.iter().all(|result| result.passed),
            results,
        }
    }

    /// How many criteria are set.
    pub fn len(&self) -> usize {
        [
            self.regions.is_some(),
            self.postal_codes.is_some(),
            self.device_types.is_some(),
            self.minimum_capacity.is_some(),
            self.maximum_capacity.is_some(),
            self.customer_types.is_some(),
            self.utilities.is_some(),
            self.manufacturers.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Without criteria everyone is eligible.
pub fn evaluate(criteria: Option<&EligibilityCriteria>, applicant: &Applicant) -> Evaluation {
    criteria.map_or(
        Evaluation {
            eligible: true,
            results: Vec::new(),
        },
        |criteria| criteria.evaluate(applicant),
    )
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
    fn the_json_form_is_the_serialised_form() {
        let every_member = json!({"regions": ["NY"], "postalCodes": ["10001"],
            "deviceTypes": ["battery"], "minimumCapacity": 5.0, "maximumCapacity": 20.5,
            "customerTypes": ["residential"], "utilities": ["coned"], "manufacturers": ["tesla"]});
        let criteria = EligibilityCriteria::from_json(every_member.clone()).unwrap();
        assert_eq!(criteria.to_json(), every_member);
        assert_eq!(serde_json::to_value(&criteria).unwrap(), every_member);
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
            codes(json!({"regions": ["NY", "NY"]})),
            [("/regions/1".to_owned(), "duplicate")]
        );
        // Duplicates are exact, as JSON Schema's uniqueItems has them; matching ignores case.
        assert!(EligibilityCriteria::from_json(json!({"regions": ["NY", "ny"]})).is_ok());
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

    fn full() -> EligibilityCriteria {
        EligibilityCriteria::from_json(
            json!({ "regions": ["NY"], "postalCodes": ["10001"], "deviceTypes": ["battery"],
            "minimumCapacity": 5.0, "maximumCapacity": 20.0, "customerTypes": ["residential"],
            "utilities": ["coned"], "manufacturers": ["tesla"] }),
        )
        .unwrap()
    }

    fn applicant() -> Applicant {
        Applicant {
            region: Some("ny".into()),
            postal_code: Some("10001".into()),
            device_type: Some("Battery".into()),
            capacity: Some(13.5),
            customer_type: Some("RESIDENTIAL".into()),
            utility: Some("ConEd".into()),
            manufacturer: Some("Tesla".into()),
        }
    }

    #[test]
    fn a_matching_applicant_passes_every_criterion_case_insensitively() {
        let evaluation = full().evaluate(&applicant());
        assert!(evaluation.eligible, "{evaluation:?}");
        let criteria: Vec<_> = evaluation
            .results
            .iter()
            .map(|r| r.criterion.as_str())
            .collect();
        assert_eq!(
            criteria,
            [
                "regions",
                "postalCodes",
                "deviceTypes",
                "minimumCapacity",
                "maximumCapacity",
                "customerTypes",
                "utilities",
                "manufacturers"
            ]
        );
    }

    #[test]
    fn each_criterion_can_fail_on_its_own() {
        let cases: [(&str, Applicant); 8] = [
            (
                "regions",
                Applicant {
                    region: Some("CA".into()),
                    ..applicant()
                },
            ),
            (
                "postalCodes",
                Applicant {
                    postal_code: Some("90210".into()),
                    ..applicant()
                },
            ),
            (
                "deviceTypes",
                Applicant {
                    device_type: Some("heat pump".into()),
                    ..applicant()
                },
            ),
            (
                "minimumCapacity",
                Applicant {
                    capacity: Some(4.9),
                    ..applicant()
                },
            ),
            (
                "maximumCapacity",
                Applicant {
                    capacity: Some(20.1),
                    ..applicant()
                },
            ),
            (
                "customerTypes",
                Applicant {
                    customer_type: Some("commercial".into()),
                    ..applicant()
                },
            ),
            (
                "utilities",
                Applicant {
                    utility: Some("pge".into()),
                    ..applicant()
                },
            ),
            (
                "manufacturers",
                Applicant {
                    manufacturer: Some("lg".into()),
                    ..applicant()
                },
            ),
        ];
        for (failing, who) in cases {
            let evaluation = full().evaluate(&who);
            assert!(!evaluation.eligible);
            let failed: Vec<_> = evaluation
                .results
                .iter()
                .filter(|r| !r.passed)
                .map(|r| r.criterion.as_str())
                .collect();
            assert_eq!(failed, [failing]);
        }
    }

    #[test]
    fn missing_attributes_fail_saying_so() {
        let evaluation = full().evaluate(&Applicant::default());
        assert!(
            evaluation
                .results
                .iter()
                .all(|r| !r.passed && r.reason.starts_with("no ")),
            "{evaluation:?}"
        );
        assert_eq!(evaluation.results.len(), 8);
    }

    #[test]
    fn no_criteria_means_eligible() {
        let evaluation = evaluate(None, &Applicant::default());
        assert!(evaluation.eligible && evaluation.results.is_empty());
    }

    fn any_applicant() -> impl Strategy<Value = Applicant> {
        let text = proptest::option::of(prop_oneof![
            Just("NY".to_owned()),
            Just("ny".to_owned()),
            "[a-z]{0,4}"
        ]);
        (
            text.clone(),
            text.clone(),
            text.clone(),
            proptest::option::of(0.0f64..50.0),
            text.clone(),
            text.clone(),
            text,
        )
            .prop_map(
                |(
                    region,
                    postal_code,
                    device_type,
                    capacity,
                    customer_type,
                    utility,
                    manufacturer,
                )| Applicant {
                    region,
                    postal_code,
                    device_type,
                    capacity,
                    customer_type,
                    utility,
                    manufacturer,
                },
            )
    }

    proptest! {
        #[test]
        fn evaluation_is_deterministic_with_one_result_per_criterion(
            who in any_applicant(),
            keep in proptest::collection::vec(any::<bool>(), 8),
        ) {
            let mut criteria = full().to_json();
            let keys: Vec<String> = criteria.as_object().unwrap().keys().cloned().collect();
            for (key, kept) in keys.iter().zip(keep) {
                if !kept {
                    criteria.as_object_mut().unwrap().remove(key);
                }
            }
            let criteria = EligibilityCriteria::from_json(criteria).unwrap();
            let first = criteria.evaluate(&who);
            prop_assert_eq!(&first, &criteria.evaluate(&who));
            prop_assert_eq!(first.results.len(), criteria.len());
            prop_assert_eq!(first.eligible, first.results.iter().all(|r| r.passed));
        }
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
