//! Keeping secrets out of everything kiln shows: URLs lose their user info
//! and signed query parameters, and backend messages lose every known secret
//! value.

use std::error::Error as _;

use object_store::client::{HttpError, HttpErrorKind};

/// Query parameters that carry credentials (SAS tokens, presigned URLs).
const SECRET_PARAMS: &[&str] = &[
    "sig",
    "signature",
    "x-amz-signature",
    "x-amz-credential",
    "x-amz-security-token",
    "token",
    "key",
    "password",
];

/// Environment variables of the providers' own tools whose values are secret.
fn secret_env_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["AWS_", "AZURE_", "GOOGLE_"]
        .iter()
        .any(|p| upper.starts_with(p))
        && ["SECRET", "KEY", "TOKEN", "PASSWORD", "CREDENTIAL"]
            .iter()
            .any(|s| upper.contains(s))
}

/// A URL as it may be shown: no user info, no signed query values.
///
/// Judged by text, not by a URL parser, so that a URL that does not parse
/// (a secret key with `/` in it breaks the authority) is redacted too:
/// everything between `://` and the last `@` goes. That may hide a harmless
/// `@` in a path; it never shows a secret.
pub fn url(text: &str) -> String {
    let scrubbed = match userinfo(text) {
        Some((start, end)) => format!("{}***{}", &text[..start], &text[end..]),
        None => text.to_string(),
    };
    scrub_params(&scrubbed)
}

/// The byte range of what may be user info in a URL's text: from after
/// `://` (or the start, for `user:secret@host`) to the last `@`.
pub fn userinfo(text: &str) -> Option<(usize, usize)> {
    let start = text.find("://").map_or(0, |i| i + 3);
    let at = start + text[start..].rfind('@')?;
    (start > 0 || text[..at].contains(':')).then_some((start, at))
}

/// Replaces the values of credential-carrying query parameters.
fn scrub_params(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(['?', '&']) {
        out.push_str(&rest[..=pos]);
        rest = &rest[pos + 1..];
        let Some(eq) = rest.find('=') else { continue };
        let name = &rest[..eq];
        if name.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_')) {
            continue;
        }
        if SECRET_PARAMS.contains(&name.to_ascii_lowercase().as_str()) {
            let end = rest[eq + 1..]
                .find(|c: char| c == '&' || c == '"' || c == '\'' || c.is_whitespace())
                .map_or(rest.len(), |e| eq + 1 + e);
            out.push_str(name);
            out.push_str("=***");
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    out
}

/// Every secret value kiln knows of for one remote, removed from any text
/// before it is shown.
#[derive(Clone, Debug, Default)]
pub struct Scrubber {
    secrets: Vec<String>,
}

impl Scrubber {
    /// Secrets from the remote's options and from the environment.
    pub fn new(option_secrets: impl IntoIterator<Item = String>) -> Scrubber {
        let mut secrets: Vec<String> = option_secrets
            .into_iter()
            .chain(
                std::env::vars()
                    .filter(|(k, _)| secret_env_name(k))
                    .map(|(_, v)| v),
            )
            // Very short values would blank out ordinary words.
            .filter(|s| s.len() >= 4)
            .collect();
        // Longest first, so a secret that contains another goes whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Scrubber { secrets }
    }

    pub fn scrub(&self, text: &str) -> String {
        let mut out = scrub_params(text);
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), "***");
            }
        }
        out
    }
}

/// One short line saying why a backend call failed, for people: transport
/// failures plainly, the S3/Azure error code when the server sent one.
pub fn describe(e: &object_store::Error, scrub: &Scrubber) -> String {
    if let Some(h) = transport(e) {
        let what = match h.kind() {
            HttpErrorKind::Connect => "cannot connect to the server",
            HttpErrorKind::Timeout => "the server did not answer in time",
            HttpErrorKind::Interrupted => "the connection was interrupted",
            _ => "the request failed",
        };
        return one_line(&format!("{what} ({})", innermost(h)), scrub);
    }
    let text = e.to_string();
    let code = xml_field(&text, "Code");
    let message = xml_field(&text, "Message");
    let summary = match e {
        object_store::Error::NotFound { .. } => "not found".to_string(),
        object_store::Error::PermissionDenied { .. } => {
            "permission denied: check the credentials and the bucket's permissions".to_string()
        }
        object_store::Error::Unauthenticated { .. } => {
            "not authenticated: check the credentials".to_string()
        }
        _ if code.is_some() => String::new(),
        _ => text.clone(),
    };
    let detail = match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => String::new(),
    };
    let joined = match (summary.is_empty(), detail.is_empty()) {
        (false, false) => format!("{summary} ({detail})"),
        (true, _) => detail,
        (false, true) => summary,
    };
    one_line(&joined, scrub)
}

/// The HTTP transport failure behind a backend error, if that is what it is.
pub fn transport(e: &object_store::Error) -> Option<&HttpError> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(c) = cause {
        if let Some(h) = c.downcast_ref::<HttpError>() {
            return Some(h);
        }
        cause = c.source();
    }
    None
}

/// The error code an S3 or Azure server sent, such as `NoSuchBucket`.
pub fn code(e: &object_store::Error) -> Option<String> {
    xml_field(&e.to_string(), "Code").map(str::to_string)
}

/// The deepest cause's text: "Connection refused (os error 111)".
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(next) = last.source() {
        last = next;
    }
    last.to_string()
}

/// The text of `<name>…</name>` in an XML error body.
fn xml_field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{name}>"))?;
    Some(text[start..start + end].trim())
}

/// Folds whitespace, bounds the length and removes secrets.
fn one_line(text: &str, scrub: &Scrubber) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = scrub.scrub(&folded);
    if out.chars().count() > 300 {
        out = out.chars().take(300).collect::<String>() + "…";
    }
    out
}
