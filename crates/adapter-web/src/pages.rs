//! The pages, as askama templates (HTML-escaped by default) and the values they show.

use application::FormToken;
use askama::Template;
use domain::eligibility::Evaluation;
use domain::{Enrollment, EnrollmentStatus, ProgramInstance, Timestamp, Violation, Violations};

use crate::fields::{self, FieldView, Submitted};

#[derive(Template)]
#[template(path = "form.html")]
pub(crate) struct FormPage {
    title: String,
    name: String,
    logo: Option<String>,
    description: Option<String>,
    terms: Option<String>,
    action: String,
    token: String,
    customer_fields: Vec<FieldView>,
    device_fields: Vec<FieldView>,
    form_fields: Vec<FieldView>,
    consent: Option<FieldView>,
    error_count: usize,
    /// The messages of errors no field shows.
    form_errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "confirmation.html")]
pub(crate) struct ConfirmationPage {
    title: String,
    name: String,
    logo: Option<String>,
    eligible: bool,
    reference: String,
    reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
pub(crate) struct MessagePage {
    title: String,
    heading: String,
    text: String,
}

/// A page to send.
pub enum Page {
    Form(Box<FormPage>),
    Confirmation(ConfirmationPage),
    Message(MessagePage),
}

/// The logo, shown only from an https URL.
fn logo(instance: &ProgramInstance) -> Option<String> {
    instance
        .logo_url()
        .map(|url| url.as_str())
        .filter(|url| {
            url.get(..8)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
        })
        .map(str::to_owned)
}

/// Where a field's answer lands in the enrollment body (the pointer of its violations).
fn pointer_of(name: &str) -> String {
    match name.strip_prefix("form.") {
        Some(key) => format!("/formData/{key}"),
        None => format!("/{}", name.replace('.', "/")),
    }
}

/// What the page asks beyond the domain's rules: who is enrolling, consent to the terms,
/// and one answer to each question that takes one (a browser never repeats such a field,
/// and taking one of several answers would store something that was not quite sent).
pub fn page_violations(instance: &ProgramInstance, submitted: &Submitted) -> Violations {
    let mut violations = Violations::new();
    let single_valued = fields::customer_fields(instance)
        .into_iter()
        .chain(fields::device_fields(instance))
        .chain(fields::form_fields(instance))
        .chain(fields::consent_field(instance))
        .filter(|field| field.control != "checkboxes");
    for field in single_valued {
        if submitted
            .get(&field.name)
            .is_some_and(|values| values.len() > 1)
        {
            violations.push(Violation::new(
                pointer_of(&field.name),
                "repeated",
                format!("{} was answered more than once", field.label),
            ));
        }
    }
    let blank = |name: &str| {
        submitted
            .get(name)
            .and_then(|values| values.first())
            .is_none_or(|value| value.trim().is_empty())
    };
    for field in fields::customer_fields(instance)
        .into_iter()
        .chain(fields::device_fields(instance))
    {
        if field.required && blank(&field.name) {
            violations.push(Violation::new(
                pointer_of(&field.name),
                "required",
                format!("{} is required", field.label),
            ));
        }
    }
    if instance.custom_terms().is_some() && blank("consent") {
        violations.push(Violation::new(
            "/consent",
            "required",
            "accept the terms to enroll",
        ));
    }
    violations
}

/// The form field a violation is about, if any.
fn field_name(violation: &Violation) -> Option<String> {
    if violation.pointer == "/consent" {
        Some("consent".to_owned())
    } else {
        fields::field_of(&violation.pointer)
    }
}

fn place_errors(fields: &mut [FieldView], violations: &Violations, placed: &mut usize) {
    for field in fields {
        let message = violations.iter().find_map(|violation| {
            (field_name(violation).as_deref() == Some(field.name.as_str()))
                .then(|| violation.message.clone())
        });
        if let Some(message) = message {
            field.autofocus = *placed == 0;
            field.error = Some(message);
            *placed += 1;
        }
    }
}

impl Page {
    pub fn form(
        instance: &ProgramInstance,
        action: String,
        token: &FormToken,
        submitted: &Submitted,
        violations: &Violations,
    ) -> Self {
        let mut customer = fields::customer_fields(instance);
        let mut device = fields::device_fields(instance);
        let mut form = fields::form_fields(instance);
        let mut consent: Vec<FieldView> = fields::consent_field(instance).into_iter().collect();
        let mut placed = 0;
        for group in [&mut customer, &mut device, &mut form, &mut consent] {
            fields::keep_values(group, submitted);
            place_errors(group, violations, &mut placed);
        }
        let shown: Vec<&str> = [&customer, &device, &form, &consent]
            .into_iter()
            .flatten()
            .map(|field| field.name.as_str())
            .collect();
        // What no field shows (an unreadable form) is said in the summary.
        let form_errors: Vec<String> = violations
            .iter()
            .filter(|violation| {
                field_name(violation).is_none_or(|name| !shown.contains(&name.as_str()))
            })
            .map(|violation| violation.message.clone())
            .collect();
        let name = instance.name().as_str().to_owned();
        Page::Form(Box::new(FormPage {
            title: format!("Enroll: {name}"),
            logo: logo(instance),
            description: instance.description().map(|d| d.as_str().to_owned()),
            terms: instance.custom_terms().map(|t| t.as_str().to_owned()),
            action,
            token: token.as_str().to_owned(),
            customer_fields: customer,
            device_fields: device,
            form_fields: form,
            consent: consent.pop(),
            error_count: placed + form_errors.len(),
            form_errors,
            name,
        }))
    }

    pub fn confirmation(instance: &ProgramInstance, enrollment: &Enrollment) -> Self {
        let name = instance.name().as_str().to_owned();
        Page::Confirmation(ConfirmationPage {
            title: format!("Enrollment received: {name}"),
            logo: logo(instance),
            eligible: enrollment.status != EnrollmentStatus::Ineligible,
            reference: enrollment.id.to_string(),
            reasons: failed_reasons(&enrollment.eligibility),
            name,
        })
    }

    /// What a bot that filled the hidden field sees: thanks, and nothing stored.
    pub fn thanks(instance: &ProgramInstance) -> Self {
        Self::message(
            instance.name().as_str(),
            "Thank you",
            "Your submission was received.",
        )
    }

    /// Closed now; when it will open by time alone, says when, in the instance's zone.
    pub fn not_accepting(instance: &ProgramInstance, now: Timestamp) -> Self {
        match instance.next_change_at(now) {
            Some(opens) => Self::message(
                instance.name().as_str(),
                "Enrollment is not open yet",
                &format!(
                    "Enrollment opens on {} ({}).",
                    instance.time_zone().describe(opens),
                    instance.time_zone().as_str()
                ),
            ),
            None => Self::message(
                instance.name().as_str(),
                "Enrollment is closed",
                "This program is not accepting enrollments right now. Please check back later.",
            ),
        }
    }

    pub fn not_found() -> Self {
        Self::message(
            "Not found",
            "Page not found",
            "There is no enrollment page at this address.",
        )
    }

    pub fn too_many() -> Self {
        Self::message(
            "Too many submissions",
            "Too many submissions",
            "Too many forms were sent from your connection. Please wait a minute and try again.",
        )
    }

    pub fn unavailable() -> Self {
        Self::message(
            "Please try again",
            "We could not take your enrollment just now",
            "Something went wrong on our side. Please try again in a moment.",
        )
    }

    pub fn too_large() -> Self {
        Self::message(
            "Too large",
            "This form is too large",
            "What was sent is larger than this form can take. Please shorten your answers.",
        )
    }

    pub fn unreadable() -> Self {
        Self::message(
            "Could not read the form",
            "Could not read the form",
            "The form could not be read. Please go back and send it again.",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::message(
            "Not allowed",
            "Not allowed",
            "This page only shows and takes its form.",
        )
    }

    fn message(title: &str, heading: &str, text: &str) -> Self {
        Page::Message(MessagePage {
            title: title.to_owned(),
            heading: heading.to_owned(),
            text: text.to_owned(),
        })
    }

    pub fn render(&self) -> Result<String, askama::Error> {
        match self {
            Page::Form(page) => page.render(),
            Page::Confirmation(page) => page.render(),
            Page::Message(page) => page.render(),
        }
    }
}

/// Each failed criterion, in plain words.
fn failed_reasons(evaluation: &Evaluation) -> Vec<String> {
    evaluation
        .results
        .iter()
        .filter(|result| !result.passed)
        .map(|result| result.reason.clone())
        .collect()
}
