"""Schemathesis hooks for `fuzz/run.py`.

The OpenAPI document states every rule the server enforces, but a few can only be stated in
words, not in JSON Schema: rules across fields or items, rules that depend on stored state or
on the clock, and cursors that only the server can issue. A generator that knows nothing of
them produces requests the server rightly refuses with 422 and a named code. Those refusals,
and only those, are not failures; anything else still is.
"""

import hashlib
import itertools
import time
import json
import os
import re

import schemathesis

# The key the run authenticates with.
RUN_KEY_ID = os.environ.get("FUZZ_KEY_ID", "")
# Where each refusal taken for a stated rule is written, one line each, for the summary.
STATED_LOG = os.environ.get("FUZZ_STATED_LOG")


def _note(case, what):
    if STATED_LOG:
        with open(STATED_LOG, "a") as log:
            log.write(f"{case.operation.method.upper()} {case.operation.path} {what}\n")

# (code, pointer or parameter prefix): the rules the document states in words.
STATED_RULES = [
    # A cursor is the `nextCursor` of a previous page; anything else is refused.
    ("invalid_cursor", "cursor"),
    # `endDate` after `startDate` (after a patch: the resulting ones).
    ("before_start", "/endDate"),
    # `maximumCapacity` not below `minimumCapacity`; `maxLength`/`max` not below `minLength`/`min`.
    ("below_minimum", "/"),
    # Seasons share no day.
    ("overlapping_seasons", "/seasons/"),
    # A form's field keys are distinct.
    ("duplicate", "/formConfig/fields/"),
    # A form field's pattern must compile as a Rust regular expression.
    ("invalid_pattern", "/formConfig/fields/"),
    # Metadata is at most 8 KiB as JSON.
    ("too_large", "/metadata"),
    # A key expires in the future, and is restricted to instances of the workspace.
    ("in_the_past", "/expiresAt"),
    ("unknown_instance", "/instances/"),
    # Form data is checked against the instance's own form.
    (None, "/formData"),
    # A merge patch is merged into the stored document, and the result must be valid.
    (None, "/eligibilityCriteria"),
    (None, "/formConfig"),
    (None, "/metadata"),
]

# Whole-request refusals the document states: the same Idempotency-Key with another body.
STATED_CODES = {"idempotency_mismatch"}


def _stated(error, operation):
    place = error.get("pointer") or error.get("parameter") or ""
    for code, prefix in STATED_RULES:
        if code is None and operation.method.upper() != "PATCH" and prefix != "/formData":
            continue
        if (code is None or error.get("code") == code) and place.startswith(prefix):
            return True
    return False


IDEMPOTENCY_KEY = re.compile(r"^[!-~]{1,255}$")

# The document's rule for webhook URLs, and where the run points every valid one instead:
# a generated host name must never be looked up, nor receive a delivery.
WEBHOOK_URL = re.compile(r"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:[/?][!-\x22$-~]*)?$")
LOCAL_WEBHOOK_URL = "https://127.0.0.1:9/fuzz"
ENDPOINT_KEYS = itertools.count(int(time.time() * 1000))


# What an HTTP field value may hold (RFC 9110): no control character but horizontal tab.
FIELD_VALUE = re.compile(r"^[^\x00-\x08\x0a-\x1f\x7f]*$")


@schemathesis.hook
def filter_headers(context, headers):
    """Leave out header values that are not HTTP (a NUL byte, say). The HTTP layer refuses
    such a request before the service sees it, with a bare 400 and a closed connection, as
    the contract allows (docs/api.md, "Errors"); the document describes the answers of
    requests that parse as HTTP. Left out rather than declared: a bare answer has no media
    type to declare, and declaring one for every operation would weaken what the document
    promises every other request."""
    return all(
        not isinstance(value, str) or FIELD_VALUE.match(value) for value in (headers or {}).values()
    )


@schemathesis.hook
def before_call(context, case, kwargs):
    # A generator reuses a few `Idempotency-Key` values for many bodies, so nearly every
    # request would replay or mismatch an earlier one. The key is made to follow the body:
    # a repeated body still replays, another body gets another key.
    # Negative cases are left alone: editing one makes schemathesis take it for positive.
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if not negative and isinstance(key, str) and IDEMPOTENCY_KEY.match(key):
        body = json.dumps(case.body, sort_keys=True, default=str)
        digest = hashlib.sha256(f"{case.path_parameters}{body}".encode()).hexdigest()[:16]
        headers["Idempotency-Key"] = f"{key[:200]}-{digest}"
    # A valid URL stays valid (and an invalid one invalid), so the case keeps its kind.
    if case.operation.path.startswith("/webhookEndpoints") and isinstance(case.body, dict):
        url = case.body.get("url")
        if isinstance(url, str) and WEBHOOK_URL.match(url) and len(url) <= 2048:
            case.body["url"] = LOCAL_WEBHOOK_URL
    # Endpoint bodies are small and repeat often: a replay would name an endpoint a later
    # step deleted. Each create gets a key of its own (replays are fuzzed on instances).
    if (
        not negative
        and case.operation.method.upper() == "POST"
        and case.operation.path == "/webhookEndpoints"
        and isinstance(headers.get("Idempotency-Key"), str)
    ):
        headers["Idempotency-Key"] = f"endpoint-{next(ENDPOINT_KEYS)}"
    # The run must not revoke the key it runs with (other keys it creates are fair game).
    if (
        case.operation.method.upper() == "DELETE"
        and case.operation.path == "/apiKeys/{id}"
        and (case.path_parameters or {}).get("id") == RUN_KEY_ID
    ):
        case.path_parameters["id"] = "c" + "0" * 24


@schemathesis.hook
def filter_failure(context, failure, case, response):
    """Keep every failure but a refusal for a rule the document states in words."""
    if getattr(failure, "code", None) != "ST202":
        return True
    # `If-Match` naming no current version: the state decides, not the request's shape.
    if response.status_code == 412:
        _note(case, "412 precondition_failed")
        return False
    if response.status_code != 422:
        return True
    try:
        problem = response.json()
    except ValueError:
        return True
    if problem.get("code") in STATED_CODES:
        _note(case, f"422 {problem.get('code')}")
        return False
    errors = problem.get("errors") or []
    if errors and all(_stated(error, case.operation) for error in errors):
        for error in errors:
            place = error.get("pointer") or error.get("parameter") or ""
            _note(case, f"422 {error.get('code')} at {place}")
        return False
    return True
