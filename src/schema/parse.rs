//! From schema text to a [`Schema`]: a serde pass over raw, position-aware
//! structures, then a resolving pass that types every bound and names the
//! file, line and column of anything wrong.

use std::collections::HashSet;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::{Location, Spanned};

use super::*;

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    #[serde(rename = "$schema", default)]
    _schema: Option<Value>,
    #[serde(rename = "name", default)]
    _name: Option<Value>,
    #[serde(rename = "title", default)]
    _title: Option<Value>,
    #[serde(rename = "description", default)]
    _description: Option<Value>,
    fields: S<Vec<RawField>>,
    #[serde(rename = "fieldsMatch", default)]
    fields_match: Option<S<String>>,
    #[serde(rename = "missingValues", default)]
    missing_values: Option<S<Value>>,
    #[serde(rename = "primaryKey", default)]
    primary_key: Option<S<Value>>,
    #[serde(rename = "uniqueKeys", default)]
    unique_keys: Option<S<Value>>,
    #[serde(rename = "foreignKeys", default)]
    foreign_keys: Option<S<Value>>,
    #[serde(default)]
    disjoint: Option<S<Value>>,
    #[serde(default)]
    drift: Option<S<Value>>,
    #[serde(default)]
    rows: Option<S<Value>>,
    #[serde(default)]
    bytes: Option<S<Value>>,
    #[serde(default)]
    dialect: Option<S<RawDialect>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: S<String>,
    #[serde(rename = "type", default)]
    kind: Option<S<String>>,
    #[serde(default)]
    format: Option<S<String>>,
    #[serde(rename = "title", default)]
    _title: Option<Value>,
    #[serde(rename = "description", default)]
    _description: Option<Value>,
    #[serde(rename = "example", default)]
    _example: Option<Value>,
    #[serde(rename = "rdfType", default)]
    _rdf_type: Option<Value>,
    #[serde(default)]
    constraints: Option<S<Ordered>>,
    #[serde(rename = "missingValues", default)]
    missing_values: Option<S<Value>>,
    #[serde(rename = "trueValues", default)]
    true_values: Option<Vec<String>>,
    #[serde(rename = "falseValues", default)]
    false_values: Option<Vec<String>>,
    #[serde(rename = "groupChar", default)]
    group_char: Option<String>,
    #[serde(rename = "decimalChar", default)]
    decimal_char: Option<String>,
    #[serde(rename = "bareNumber", default)]
    bare_number: Option<bool>,
    #[serde(default)]
    categories: Option<S<Value>>,
    #[serde(rename = "categoriesOrdered", default)]
    _categories_ordered: Option<bool>,
    #[serde(default)]
    delimiter: Option<S<String>>,
    #[serde(rename = "itemType", default)]
    item_type: Option<S<String>>,
    #[serde(default)]
    dtype: Option<S<Value>>,
    #[serde(default)]
    severity: Option<S<String>>,
    #[serde(default)]
    mostly: Option<S<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDialect {
    #[serde(default)]
    delimiter: Option<S<String>>,
    #[serde(default)]
    header: Option<bool>,
    #[serde(rename = "quoteChar", default)]
    quote_char: Option<S<Option<String>>>,
    #[serde(rename = "commentChar", default)]
    comment_char: Option<S<String>>,
    #[serde(default)]
    encoding: Option<S<String>>,
}

/// A map's entries in the order written, so reports list checks as the
/// schema does.
struct Ordered(Vec<(String, S<Value>)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of constraints")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(Ordered(out))
            }
        }
        d.deserialize_map(Visit)
    }
}

const CONSTRAINTS: [&str; 15] = [
    "required",
    "unique",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "enum",
    // kiln's text checks.
    "notBlank",
    "minWords",
    "maxWords",
    "maxRepeatedLines",
    "validText",
];

struct Ctx<'a> {
    path: &'a Path,
}

impl Ctx<'_> {
    fn err(&self, at: &Location, message: impl Into<String>, hint: Option<String>) -> SchemaError {
        if at.line() == 0 {
            SchemaError::Document {
                path: self.path.to_path_buf(),
                message: message.into(),
                hint,
            }
        } else {
            SchemaError::Invalid {
                path: self.path.to_path_buf(),
                line: at.line(),
                column: at.column(),
                message: message.into(),
                hint,
            }
        }
    }
}

pub(super) fn parse(text: &str, path: &Path) -> Result<Schema, SchemaError> {
    let raw: RawSchema = serde_saphyr::from_str(text).map_err(|e| syntax_error(&e, path))?;
    let cx = Ctx { path };
    resolve(&cx, raw)
}

/// A serde failure, with the nearest valid key when the fault is an unknown one.
fn syntax_error(e: &serde_saphyr::Error, path: &Path) -> SchemaError {
    let raw = match e {
        serde_saphyr::Error::Message { msg, .. } => msg.clone(),
        other => other.to_string().lines().next().unwrap_or("").to_string(),
    };
    // The position is reported on its own; drop the one in the text.
    let mut message = raw.trim().trim_start_matches("error: ").to_string();
    if let Some(rest) = message.strip_prefix("line ")
        && let Some((_, tail)) = rest.split_once(": ")
    {
        message = tail.to_string();
    }
    let mut hint = None;
    if let Some(rest) = message.strip_prefix("unknown field ") {
        // serde says: unknown field `x`, expected one of `a`, `b` (with or
        // without the backticks around the expected names).
        if let Some((unknown, expected)) = rest.split_once(", expected ") {
            let unknown = unknown.trim_matches('`').to_string();
            let expected = expected.trim_start_matches("one of ");
            let valid: Vec<&str> = expected
                .split([',', ' '])
                .map(|n| n.trim().trim_matches('`'))
                .filter(|n| !n.is_empty() && *n != "or")
                .collect();
            hint = Some(match nearest(&unknown, valid.iter().copied()) {
                Some(n) => format!("did you mean `{n}`?"),
                None => format!("valid keys here: {}", valid.join(", ")),
            });
            message = format!("unknown key `{unknown}`");
        }
    }
    match e.location() {
        Some(loc) if loc.line() > 0 => SchemaError::Invalid {
            path: path.to_path_buf(),
            line: loc.line(),
            column: loc.column(),
            message,
            hint,
        },
        _ => SchemaError::Document {
            path: path.to_path_buf(),
            message,
            hint,
        },
    }
}

fn resolve(cx: &Ctx, raw: RawSchema) -> Result<Schema, SchemaError> {
    let fields_match = match &raw.fields_match {
        None => FieldsMatch::Exact,
        Some(s) => match s.value.as_str() {
            "exact" => FieldsMatch::Exact,
            "equal" => FieldsMatch::Equal,
            "subset" => FieldsMatch::Subset,
            "superset" => FieldsMatch::Superset,
            "partial" => FieldsMatch::Partial,
            other => {
                let all = ["exact", "equal", "subset", "superset", "partial"];
                return Err(cx.err(
                    &s.referenced,
                    format!("unknown fieldsMatch `{other}`"),
                    Some(one_of_hint(other, &all)),
                ));
            }
        },
    };
    let missing = match &raw.missing_values {
        Some(v) => missing_values(cx, v)?,
        None => vec![String::new()],
    };
    let mut fields = Vec::new();
    let mut seen = HashSet::new();
    for rf in raw.fields.value {
        if !seen.insert(rf.name.value.clone()) {
            return Err(cx.err(
                &rf.name.referenced,
                format!("field `{}` is defined twice", rf.name.value),
                None,
            ));
        }
        fields.push(field(cx, rf, &missing)?);
    }
    if fields.is_empty() {
        return Err(cx.err(
            &raw.fields.referenced,
            "a schema needs at least one field",
            None,
        ));
    }
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let primary_key = match &raw.primary_key {
        None => Vec::new(),
        Some(v) => key_list(cx, v, &names)?,
    };
    let unique_keys = match &raw.unique_keys {
        None => Vec::new(),
        Some(v) => match &v.value {
            Value::Array(keys) => {
                let mut out = Vec::new();
                for k in keys {
                    let spanned = Spanned::new(k.clone(), v.referenced, v.defined);
                    out.push(key_list(cx, &spanned, &names)?);
                }
                out
            }
            _ => {
                return Err(cx.err(
                    &v.referenced,
                    "uniqueKeys must be a list of lists of field names",
                    None,
                ));
            }
        },
    };
    let foreign_keys = match &raw.foreign_keys {
        None => Vec::new(),
        Some(v) => foreign_keys(cx, v, &names)?,
    };
    let disjoint = match &raw.disjoint {
        None => Vec::new(),
        Some(v) => disjoint(cx, v, &names)?,
    };
    let drift = raw
        .drift
        .as_ref()
        .map(|v| drift(cx, v, &names))
        .transpose()?;
    // A primary key's fields are implicitly required.
    for name in &primary_key {
        if let Some(f) = fields.iter_mut().find(|f| &f.name == name)
            && !f.is_required()
        {
            f.constraints.push(Constraint {
                kind: ConstraintKind::Required,
                rule: f.rule,
            });
        }
    }
    let rows = raw
        .rows
        .as_ref()
        .map(|v| bounds(cx, "rows", v))
        .transpose()?;
    let bytes = raw
        .bytes
        .as_ref()
        .map(|v| bounds(cx, "bytes", v))
        .transpose()?;
    let dialect = match raw.dialect {
        None => Dialect::default(),
        Some(d) => dialect(cx, d.value)?,
    };
    Ok(Schema {
        fields,
        fields_match,
        missing_values: missing,
        primary_key,
        unique_keys,
        rows,
        bytes,
        dialect,
        foreign_keys,
        disjoint,
        drift,
    })
}

/// `drift: {baseline?, severity?, scores?, rows?, fields?}` (kiln's drift
/// rules): see [`Drift`].
fn drift(cx: &Ctx, v: &S<Value>, names: &[&str]) -> Result<Drift, SchemaError> {
    let bad = |m: String| cx.err(&v.referenced, format!("drift: {m}"), None);
    let Value::Object(map) = &v.value else {
        return Err(bad(
            "must be a mapping of baseline, severity, scores, rows, fields".into(),
        ));
    };
    let scores = |what: &str, val: &Value| -> Result<Vec<(String, f64)>, SchemaError> {
        let Value::Object(m) = val else {
            return Err(bad(format!("{what} must map score names to thresholds")));
        };
        m.iter()
            .map(|(name, t)| {
                if !DRIFT_SCORES.contains(&name.as_str()) {
                    return Err(cx.err(
                        &v.referenced,
                        format!("drift: unknown score `{name}`"),
                        Some(one_of_hint(name, DRIFT_SCORES)),
                    ));
                }
                match t.as_f64() {
                    Some(t) if t.is_finite() && t >= 0.0 => Ok((name.clone(), t)),
                    _ => Err(bad(format!(
                        "the threshold of {name} must be a number of at least 0"
                    ))),
                }
            })
            .collect()
    };
    let mut out = Drift::default();
    for (k, val) in map {
        match k.as_str() {
            "baseline" => {
                let Value::String(b) = val else {
                    return Err(bad("baseline must be `previous` or a git revision".into()));
                };
                out.baseline = match b.as_str() {
                    "previous" => Baseline::Previous,
                    // A revision is only ever looked up in git's object
                    // database (never handed to a program), so any text is safe.
                    rev if !rev.is_empty() => Baseline::Revision(rev.to_string()),
                    _ => return Err(bad("baseline must be `previous` or a git revision".into())),
                };
            }
            "severity" => {
                let s = val.as_str().unwrap_or_default().to_string();
                out.rule.severity = severity(cx, &Spanned::new(s, v.referenced, v.defined))?;
            }
            "scores" => out.scores = scores("scores", val)?,
            "rows" => match val.as_f64() {
                Some(t) if t.is_finite() && t >= 0.0 => out.rows = Some(t),
                _ => {
                    return Err(bad(
                        "rows must be the largest change in rows, as a fraction".into(),
                    ));
                }
            },
            "fields" => {
                let Value::Object(m) = val else {
                    return Err(bad("fields must map field names to their scores".into()));
                };
                for (name, val) in m {
                    if !names.contains(&name.as_str()) {
                        return Err(bad(format!("no field named `{name}`")));
                    }
                    out.fields.push((name.clone(), scores(name, val)?));
                }
            }
            other => {
                return Err(cx.err(
                    &v.referenced,
                    format!("drift: unknown key `{other}`"),
                    Some(one_of_hint(
                        other,
                        &["baseline", "severity", "scores", "rows", "fields"],
                    )),
                ));
            }
        }
    }
    Ok(out)
}

/// `disjoint: [{dataset, fields, severity?, mostly?}]`; the dataset is a
/// repository-relative path, through the safe-path gate.
fn disjoint(cx: &Ctx, v: &S<Value>, names: &[&str]) -> Result<Vec<Disjoint>, SchemaError> {
    let bad = |m: String| cx.err(&v.referenced, format!("disjoint: {m}"), None);
    let Value::Array(items) = &v.value else {
        return Err(bad("must be a list of {dataset, fields}".into()));
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(map) = item else {
            return Err(bad("each entry is {dataset, fields}".into()));
        };
        let at = |val: &Value| Spanned::new(val.clone(), v.referenced, v.defined);
        let mut entry = Disjoint {
            dataset: String::new(),
            fields: Vec::new(),
            rule: Rule::default(),
        };
        for (k, val) in map {
            match k.as_str() {
                "dataset" => {
                    let Value::String(d) = val else {
                        return Err(bad("`dataset` must be a path".into()));
                    };
                    crate::repo_path::RepoPath::new(d).map_err(|e| bad(format!("dataset {e}")))?;
                    entry.dataset = d.clone();
                }
                "fields" => entry.fields = key_list(cx, &at(val), names)?,
                "severity" => {
                    let s = val.as_str().unwrap_or_default().to_string();
                    entry.rule.severity = severity(cx, &Spanned::new(s, v.referenced, v.defined))?;
                }
                "mostly" => {
                    let m = val
                        .as_f64()
                        .ok_or_else(|| bad("mostly must be a number between 0 and 1".into()))?;
                    entry.rule.mostly = Some(mostly(cx, &v.referenced, m)?);
                }
                other => {
                    return Err(cx.err(
                        &v.referenced,
                        format!("disjoint: unknown key `{other}`"),
                        Some(one_of_hint(
                            other,
                            &["dataset", "fields", "severity", "mostly"],
                        )),
                    ));
                }
            }
        }
        if entry.dataset.is_empty() || entry.fields.is_empty() {
            return Err(bad("each entry needs `dataset` and `fields`".into()));
        }
        out.push(entry);
    }
    Ok(out)
}

fn one_of_hint(word: &str, valid: &[&str]) -> String {
    match nearest(word, valid.iter().copied()) {
        Some(n) => format!("did you mean `{n}`?"),
        None => format!("one of: {}", valid.join(", ")),
    }
}

fn missing_values(cx: &Ctx, v: &S<Value>) -> Result<Vec<String>, SchemaError> {
    let bad = || {
        cx.err(
            &v.referenced,
            "missingValues must be a list of strings",
            None,
        )
    };
    let Value::Array(items) = &v.value else {
        return Err(bad());
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.clone()),
            // Table Schema v2 also allows `{value, label}` objects.
            Value::Object(o) => match o.get("value") {
                Some(Value::String(s)) => Ok(s.clone()),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        })
        .collect()
}

/// `foreignKeys: [{fields, reference: {resource, fields}}]`. The resource
/// is a repository-relative path (a kiln reading of Table Schema's resource
/// name), through the safe-path gate, or `""` for this table.
fn foreign_keys(cx: &Ctx, v: &S<Value>, names: &[&str]) -> Result<Vec<ForeignKey>, SchemaError> {
    let bad = |m: String| cx.err(&v.referenced, format!("foreignKeys: {m}"), None);
    let Value::Array(items) = &v.value else {
        return Err(bad("must be a list of {fields, reference}".into()));
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(map) = item else {
            return Err(bad("each foreign key is {fields, reference}".into()));
        };
        let at = |val: &Value| Spanned::new(val.clone(), v.referenced, v.defined);
        let fields = match map.get("fields") {
            Some(f) => key_list(cx, &at(f), names)?,
            None => return Err(bad("a foreign key needs `fields`".into())),
        };
        let Some(Value::Object(reference)) = map.get("reference") else {
            return Err(bad(
                "a foreign key needs `reference: {resource, fields}`".into()
            ));
        };
        let resource = match reference.get("resource") {
            None => String::new(),
            Some(Value::String(r)) => r.clone(),
            Some(_) => return Err(bad("`reference.resource` must be a path".into())),
        };
        if !resource.is_empty() {
            crate::repo_path::RepoPath::new(&resource)
                .map_err(|e| bad(format!("reference.resource {e}")))?;
        }
        // A reference into this table names this table's fields.
        let any: Vec<&str> = Vec::new();
        let target_names = if resource.is_empty() { names } else { &any[..] };
        let reference_fields = match reference.get("fields") {
            Some(f) if resource.is_empty() => key_list(cx, &at(f), target_names)?,
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(list)) => list
                .iter()
                .map(|i| i.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad("`reference.fields` must be field names".into()))?,
            _ => return Err(bad("a foreign key needs `reference.fields`".into())),
        };
        if reference_fields.len() != fields.len() {
            return Err(bad(format!(
                "`fields` has {} names and `reference.fields` {}",
                fields.len(),
                reference_fields.len()
            )));
        }
        out.push(ForeignKey {
            fields,
            resource,
            reference_fields,
        });
    }
    Ok(out)
}

fn key_list(cx: &Ctx, v: &S<Value>, names: &[&str]) -> Result<Vec<String>, SchemaError> {
    let list: Vec<String> = match &v.value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => Ok(s.clone()),
                _ => Err(cx.err(&v.referenced, "a key must list field names", None)),
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(cx.err(
                &v.referenced,
                "a key must be a field name or a list of field names",
                None,
            ));
        }
    };
    if list.is_empty() {
        return Err(cx.err(&v.referenced, "a key needs at least one field", None));
    }
    for k in &list {
        if !names.contains(&k.as_str()) {
            return Err(cx.err(
                &v.referenced,
                format!("key names `{k}`, which is not a field"),
                nearest(k, names.iter().copied()).map(|n| format!("did you mean `{n}`?")),
            ));
        }
    }
    Ok(list)
}

fn severity(cx: &Ctx, s: &S<String>) -> Result<Severity, SchemaError> {
    match s.value.as_str() {
        "error" => Ok(Severity::Error),
        "warn" | "warning" => Ok(Severity::Warn),
        other => Err(cx.err(
            &s.referenced,
            format!("unknown severity `{other}`"),
            Some(one_of_hint(other, &["error", "warn"])),
        )),
    }
}

fn mostly(cx: &Ctx, at: &Location, v: f64) -> Result<f64, SchemaError> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(cx.err(at, format!("mostly must be between 0 and 1, not {v}"), None))
    }
}

/// A check's value in either form: plain, or `{value, severity, mostly}`.
fn checked_value(
    cx: &Ctx,
    key: &str,
    v: &S<Value>,
    default: Rule,
) -> Result<(Value, Rule), SchemaError> {
    let Value::Object(map) = &v.value else {
        return Ok((v.value.clone(), default));
    };
    if !map.contains_key("value") {
        return Ok((v.value.clone(), default));
    }
    let mut rule = default;
    for (k, item) in map {
        match k.as_str() {
            "value" => {}
            "severity" => {
                let s = item.as_str().unwrap_or_default().to_string();
                rule.severity = severity(cx, &Spanned::new(s, v.referenced, v.defined))?;
            }
            "mostly" => {
                let m = item.as_f64().ok_or_else(|| {
                    cx.err(
                        &v.referenced,
                        "mostly must be a number between 0 and 1",
                        None,
                    )
                })?;
                rule.mostly = Some(mostly(cx, &v.referenced, m)?);
            }
            other => {
                return Err(cx.err(
                    &v.referenced,
                    format!("unknown key `{other}` in `{key}`"),
                    Some(one_of_hint(other, &["value", "severity", "mostly"])),
                ));
            }
        }
    }
    Ok((map["value"].clone(), rule))
}

fn field(cx: &Ctx, rf: RawField, schema_missing: &[String]) -> Result<Field, SchemaError> {
    let name = rf.name.value.clone();
    let kind = match &rf.kind {
        None => FieldType::Any,
        Some(t) => match FieldType::ALL.iter().find(|(n, _)| *n == t.value) {
            Some((_, k)) => *k,
            None => {
                let all: Vec<&str> = FieldType::ALL.iter().map(|(n, _)| *n).collect();
                return Err(cx.err(
                    &t.referenced,
                    format!("field `{name}`: unknown type `{}`", t.value),
                    Some(one_of_hint(&t.value, &all)),
                ));
            }
        },
    };
    let mut rule = Rule::default();
    if let Some(s) = &rf.severity {
        rule.severity = severity(cx, s)?;
    }
    if let Some(m) = &rf.mostly {
        rule.mostly = Some(mostly(cx, &m.referenced, m.value)?);
    }
    let format = match &rf.format {
        None => None,
        Some(f) if f.value == "default" => None,
        Some(f) => Some(check_format(cx, kind, f, &name)?),
    };
    let missing_values = match &rf.missing_values {
        Some(v) => missing_values(cx, v)?,
        None => schema_missing.to_vec(),
    };
    let decimal = rf.decimal_char.as_deref().unwrap_or(".");
    if rf.group_char.as_deref() == Some(decimal) {
        return Err(cx.err(
            &rf.name.referenced,
            format!("field `{name}`: `groupChar` and `decimalChar` are both `{decimal}`"),
            None,
        ));
    }
    let defaults = Field::new(&name, kind);
    let mut out = Field {
        format,
        missing_values,
        true_values: rf.true_values.unwrap_or(defaults.true_values),
        false_values: rf.false_values.unwrap_or(defaults.false_values),
        group_char: rf.group_char.filter(|s| !s.is_empty()),
        decimal_char: rf.decimal_char.filter(|s| !s.is_empty() && s != "."),
        bare_number: rf.bare_number.unwrap_or(true),
        rule,
        ..defaults
    };
    if let Some(d) = &rf.dtype {
        let (value, drule) = checked_value(cx, "dtype", d, rule)?;
        if drule.mostly.is_some() {
            return Err(cx.err(
                &d.referenced,
                "`mostly` does not apply to dtype: a column has one type",
                None,
            ));
        }
        let text = value.as_str().ok_or_else(|| {
            cx.err(
                &d.referenced,
                "dtype must be a type name such as `int64`",
                None,
            )
        })?;
        let dtype = parse_dtype(text).ok_or_else(|| {
            cx.err(
                &d.referenced,
                format!("field `{name}`: unknown dtype `{text}`"),
                Some(one_of_hint(text, &DTYPE_NAMES)),
            )
        })?;
        out.dtype = Some((dtype, drule));
    }
    if let Some(t) = &rf.item_type {
        out.item_type = match FieldType::ALL.iter().find(|(n, _)| *n == t.value) {
            Some((_, k)) if ITEM_TYPES.contains(k) => *k,
            _ => {
                let all: Vec<&str> = ITEM_TYPES.iter().map(|k| k.name()).collect();
                return Err(cx.err(
                    &t.referenced,
                    format!(
                        "field `{name}`: itemType `{}` is not a list item type",
                        t.value
                    ),
                    Some(one_of_hint(&t.value, &all)),
                ));
            }
        };
    }
    if let Some(d) = &rf.delimiter {
        if d.value.is_empty() {
            return Err(cx.err(
                &d.referenced,
                format!("field `{name}`: a list's delimiter cannot be empty"),
                None,
            ));
        }
        out.list_delimiter = d.value.clone();
    }
    if let Some(c) = &rf.constraints {
        for (key, v) in &c.value.0 {
            if !CONSTRAINTS.contains(&key.as_str()) {
                let hint = nearest(key, CONSTRAINTS).map(|n| format!("did you mean `{n}`?"));
                return Err(cx.err(
                    &v.referenced,
                    format!("field `{name}`: unknown constraint `{key}`"),
                    hint,
                ));
            }
            let (value, crule) = checked_value(cx, key, v, rule)?;
            if let Some(kind) = constraint(cx, &out, key, &value, &v.referenced)? {
                out.constraints.push(Constraint { kind, rule: crule });
            }
        }
    }
    if let Some(cats) = &rf.categories {
        // Categories restrict values like `enum` does, unless one is given.
        if !out
            .constraints
            .iter()
            .any(|c| matches!(c.kind, ConstraintKind::Enum(_)))
        {
            let values = match &cats.value {
                Value::Array(items) => Value::Array(
                    items
                        .iter()
                        .map(|i| match i {
                            Value::Object(o) => o.get("value").cloned().unwrap_or(Value::Null),
                            other => other.clone(),
                        })
                        .collect(),
                ),
                _ => return Err(cx.err(&cats.referenced, "categories must be a list", None)),
            };
            if let Some(kind) = constraint(cx, &out, "enum", &values, &cats.referenced)? {
                out.constraints.push(Constraint { kind, rule });
            }
        }
    }
    Ok(out)
}

const STRING_FORMATS: [&str; 4] = ["email", "uri", "uuid", "binary"];

/// The types a `list` holds (Table Schema: read in their default format).
const ITEM_TYPES: [FieldType; 7] = [
    FieldType::String,
    FieldType::Integer,
    FieldType::Boolean,
    FieldType::Number,
    FieldType::Datetime,
    FieldType::Date,
    FieldType::Time,
];

fn check_format(
    cx: &Ctx,
    kind: FieldType,
    f: &S<String>,
    name: &str,
) -> Result<String, SchemaError> {
    // Table Schema: a pattern may be written `fmt:PATTERN`; consumers drop
    // the prefix.
    let v = match f.value.strip_prefix("fmt:") {
        Some(pattern)
            if matches!(
                kind,
                FieldType::Date | FieldType::Time | FieldType::Datetime
            ) =>
        {
            pattern
        }
        _ => f.value.as_str(),
    };
    let ok = match kind {
        FieldType::String => STRING_FORMATS.contains(&v),
        FieldType::Date | FieldType::Time | FieldType::Datetime => v == "any" || v.contains('%'),
        FieldType::GeoPoint => v == "array" || v == "object",
        FieldType::GeoJson => v == "topojson",
        FieldType::List => false,
        // Other types have no formats: one is kept and ignored.
        _ => true,
    };
    if ok {
        return Ok(v.to_string());
    }
    let hint = match kind {
        FieldType::String => Some(one_of_hint(v, &STRING_FORMATS)),
        FieldType::GeoPoint => Some(one_of_hint(v, &["default", "array", "object"])),
        FieldType::GeoJson => Some(one_of_hint(v, &["default", "topojson"])),
        FieldType::List => Some("a list has only the `default` format".to_string()),
        _ => Some("use `default`, `any`, or a strptime pattern such as `%d/%m/%Y`".to_string()),
    };
    Err(cx.err(
        &f.referenced,
        format!(
            "field `{name}`: format `{v}` does not apply to {}",
            kind.name()
        ),
        hint,
    ))
}

fn constraint(
    cx: &Ctx,
    f: &Field,
    key: &str,
    value: &Value,
    at: &Location,
) -> Result<Option<ConstraintKind>, SchemaError> {
    let name = &f.name;
    let bad = |msg: String| cx.err(at, format!("field `{name}`: {msg}"), None);
    match key {
        "required" | "unique" => match value {
            Value::Bool(true) => Ok(Some(if key == "required" {
                ConstraintKind::Required
            } else {
                ConstraintKind::Unique
            })),
            Value::Bool(false) => Ok(None),
            _ => Err(bad(format!("{key} must be true or false"))),
        },
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
            if matches!(
                f.kind,
                FieldType::String | FieldType::Boolean | FieldType::Any
            ) || f.kind.is_composite()
            {
                return Err(bad(format!(
                    "{key} applies to numbers, dates and times, not {}",
                    f.kind.name()
                )));
            }
            let b = literal(f, value).map_err(bad)?;
            Ok(Some(match key {
                "minimum" => ConstraintKind::Minimum(b),
                "maximum" => ConstraintKind::Maximum(b),
                "exclusiveMinimum" => ConstraintKind::ExclusiveMinimum(b),
                _ => ConstraintKind::ExclusiveMaximum(b),
            }))
        }
        "minLength" | "maxLength" => {
            let n = value
                .as_u64()
                .ok_or_else(|| bad(format!("{key} must be a whole number of characters")))?;
            if matches!(f.kind, FieldType::GeoPoint | FieldType::GeoJson) {
                return Err(bad(format!(
                    "{key} applies to strings, lists, arrays and objects, not {}",
                    f.kind.name()
                )));
            }
            Ok(Some(if key == "minLength" {
                ConstraintKind::MinLength(n)
            } else {
                ConstraintKind::MaxLength(n)
            }))
        }
        "pattern" => {
            let p = value
                .as_str()
                .ok_or_else(|| bad("pattern must be a string".into()))?;
            if let Err(e) = regex::Regex::new(&format!("^(?:{p})$")) {
                let first = e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                return Err(bad(format!(
                    "pattern is not a valid regular expression: {first}"
                )));
            }
            if f.kind.is_composite() {
                return Err(bad(format!(
                    "pattern applies to values written as text, not {}",
                    f.kind.name()
                )));
            }
            Ok(Some(ConstraintKind::Pattern(p.to_string())))
        }
        "enum" => {
            let Value::Array(items) = value else {
                return Err(bad("enum must be a list of values".into()));
            };
            if items.is_empty() {
                return Err(bad("enum needs at least one value".into()));
            }
            let values = items
                .iter()
                .map(|i| literal(f, i).map_err(&bad))
                .collect::<Result<_, _>>()?;
            Ok(Some(ConstraintKind::Enum(values)))
        }
        "notBlank" | "validText" | "minWords" | "maxWords" | "maxRepeatedLines" => {
            if f.kind != FieldType::String {
                return Err(bad(format!(
                    "{key} is a text check: it applies to string fields, not {}",
                    f.kind.name()
                )));
            }
            Ok(Some(match key {
                "notBlank" | "validText" => match value {
                    Value::Bool(true) if key == "notBlank" => ConstraintKind::NotBlank,
                    Value::Bool(true) => ConstraintKind::ValidText,
                    Value::Bool(false) => return Ok(None),
                    _ => return Err(bad(format!("{key} must be true or false"))),
                },
                "maxRepeatedLines" => match value.as_f64() {
                    Some(v) if (0.0..=1.0).contains(&v) => ConstraintKind::MaxRepeatedLines(v),
                    _ => {
                        return Err(bad(format!(
                            "{key} must be a share of lines between 0 and 1"
                        )));
                    }
                },
                _ => {
                    let n = value
                        .as_u64()
                        .ok_or_else(|| bad(format!("{key} must be a whole number of words")))?;
                    if key == "minWords" {
                        ConstraintKind::MinWords(n)
                    } else {
                        ConstraintKind::MaxWords(n)
                    }
                }
            }))
        }
        _ => unreachable!("constraint keys are checked by the caller"),
    }
}

/// A schema value typed as the field's values.
fn literal(f: &Field, v: &Value) -> Result<Bound, String> {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let wrong = || format!("`{text}` is not a valid {} value", f.kind.name());
    let value = match f.kind {
        FieldType::Integer | FieldType::Year => {
            let n: i128 = match v {
                // A number past 64 bits reaches here as a float, its digits
                // lost: quoted, it is read exactly.
                Value::Number(n)
                    if n.is_f64() && n.as_f64().is_some_and(|x| x.abs() >= 2f64.powi(63)) =>
                {
                    return Err(format!(
                        "{}: write an integer past 64 bits in quotes",
                        wrong()
                    ));
                }
                Value::Number(_) => text.parse().map_err(|_| wrong())?,
                Value::String(s) => s.trim().parse().map_err(|_| wrong())?,
                _ => return Err(wrong()),
            };
            match i64::try_from(n) {
                Ok(i) => Literal::Int(i),
                Err(_) if f.kind == FieldType::Integer => Literal::Wide(n),
                Err(_) => return Err(wrong()),
            }
        }
        FieldType::Number => match v {
            Value::Number(n) => Literal::Float(n.as_f64().ok_or_else(wrong)?),
            Value::String(s) => Literal::Float(s.trim().parse().map_err(|_| wrong())?),
            _ => return Err(wrong()),
        },
        FieldType::Boolean => match v {
            Value::Bool(b) => Literal::Bool(*b),
            Value::String(s) if f.true_values.contains(s) => Literal::Bool(true),
            Value::String(s) if f.false_values.contains(s) => Literal::Bool(false),
            _ => return Err(wrong()),
        },
        FieldType::Date => Literal::Date(parse_date(&text, f.format.as_deref()).ok_or_else(wrong)?),
        FieldType::Datetime => {
            Literal::Datetime(parse_datetime(&text, f.format.as_deref()).ok_or_else(wrong)?)
        }
        FieldType::Time => Literal::Time(parse_time(&text, f.format.as_deref()).ok_or_else(wrong)?),
        FieldType::YearMonth => {
            let ok = text.len() == 7
                && text.as_bytes()[4] == b'-'
                && text[..4].bytes().all(|b| b.is_ascii_digit())
                && matches!(text[5..].parse::<u8>(), Ok(1..=12));
            if !ok {
                return Err(wrong());
            }
            Literal::Str(text.clone())
        }
        FieldType::Duration => match v {
            Value::String(s) if crate::duration::Duration::parse(s).is_some() => {
                Literal::Str(s.clone())
            }
            _ => return Err(wrong()),
        },
        _ => match v {
            Value::String(s) => Literal::Str(s.clone()),
            Value::Number(_) | Value::Bool(_) => Literal::Str(text.clone()),
            Value::Object(_) | Value::Array(_) if f.kind.is_composite() => {
                Literal::Str(text.clone())
            }
            _ => return Err(wrong()),
        },
    };
    Ok(Bound { value, text })
}

fn date_days(d: jiff::civil::Date) -> i32 {
    crate::calendar::days_from_civil(d.year().into(), d.month().into(), d.day().into())
}

fn parse_date(s: &str, format: Option<&str>) -> Option<i32> {
    if let Ok(d) = s.parse::<jiff::civil::Date>() {
        return Some(date_days(d));
    }
    let fmt = format.filter(|f| f.contains('%'))?;
    jiff::fmt::strtime::parse(fmt, s)
        .ok()?
        .to_date()
        .ok()
        .map(date_days)
}

/// Nanoseconds since midnight, as polars stores a time.
fn time_nanos(t: jiff::civil::Time) -> i64 {
    t.duration_since(jiff::civil::Time::midnight()).as_nanos() as i64
}

fn parse_time(s: &str, format: Option<&str>) -> Option<i64> {
    if let Ok(t) = s.parse::<jiff::civil::Time>() {
        return Some(time_nanos(t));
    }
    let fmt = format.filter(|f| f.contains('%'))?;
    jiff::fmt::strtime::parse(fmt, s)
        .ok()?
        .to_time()
        .ok()
        .map(time_nanos)
}

fn parse_datetime(s: &str, format: Option<&str>) -> Option<i64> {
    // With an offset: the instant; without: read as UTC.
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_microsecond());
    }
    let civil = match s.parse::<jiff::civil::DateTime>() {
        Ok(dt) => dt,
        Err(_) => {
            let fmt = format.filter(|f| f.contains('%'))?;
            let parsed = jiff::fmt::strtime::parse(fmt, s).ok()?;
            if let Ok(ts) = parsed.to_timestamp() {
                return Some(ts.as_microsecond());
            }
            parsed.to_datetime().ok()?
        }
    };
    Some(
        jiff::tz::TimeZone::UTC
            .to_timestamp(civil)
            .ok()?
            .as_microsecond(),
    )
}

fn bounds(cx: &Ctx, key: &str, v: &S<Value>) -> Result<Bounds, SchemaError> {
    let Value::Object(map) = &v.value else {
        return Err(cx.err(
            &v.referenced,
            format!("{key} must be a map such as `{{min: 1, max: 1000}}`"),
            None,
        ));
    };
    let mut out = Bounds {
        min: None,
        max: None,
        rule: Rule::default(),
    };
    for (k, item) in map {
        let number = || {
            item.as_u64().ok_or_else(|| {
                cx.err(
                    &v.referenced,
                    format!("{key}.{k} must be a whole number"),
                    None,
                )
            })
        };
        match k.as_str() {
            "min" => out.min = Some(number()?),
            "max" => out.max = Some(number()?),
            "severity" => {
                let s = item.as_str().unwrap_or_default().to_string();
                out.rule.severity = severity(cx, &Spanned::new(s, v.referenced, v.defined))?;
            }
            other => {
                return Err(cx.err(
                    &v.referenced,
                    format!("unknown key `{other}` in `{key}`"),
                    Some(one_of_hint(other, &["min", "max", "severity"])),
                ));
            }
        }
    }
    if let (Some(min), Some(max)) = (out.min, out.max)
        && min > max
    {
        return Err(cx.err(
            &v.referenced,
            format!("{key}: min {min} is above max {max}"),
            None,
        ));
    }
    Ok(out)
}

fn single_byte(cx: &Ctx, what: &str, s: &S<String>) -> Result<u8, SchemaError> {
    match s.value.as_bytes() {
        [b] if b.is_ascii() => Ok(*b),
        _ => Err(cx.err(
            &s.referenced,
            format!("{what} must be one ASCII character"),
            None,
        )),
    }
}

fn dialect(cx: &Ctx, d: RawDialect) -> Result<Dialect, SchemaError> {
    let mut out = Dialect::default();
    if let Some(s) = &d.delimiter {
        out.delimiter = Some(single_byte(cx, "delimiter", s)?);
    }
    if let Some(h) = d.header {
        out.header = h;
    }
    if let Some(q) = &d.quote_char {
        out.quote_char = match &q.value {
            None => None,
            Some(c) => Some(single_byte(
                cx,
                "quoteChar",
                &Spanned::new(c.clone(), q.referenced, q.defined),
            )?),
        };
    }
    if let Some(c) = &d.comment_char {
        out.comment_char = Some(single_byte(cx, "commentChar", c)?);
    }
    if let Some(e) = &d.encoding {
        let label = e.value.to_ascii_lowercase();
        out.encoding = match label.as_str() {
            "utf-8-lossy" | "utf8-lossy" => Encoding::Utf8Lossy,
            _ => match encoding_rs::Encoding::for_label(label.as_bytes()) {
                Some(enc) if enc == encoding_rs::UTF_8 => Encoding::Utf8,
                Some(enc) => Encoding::Other(enc),
                None => {
                    return Err(cx.err(
                        &e.referenced,
                        format!("encoding `{label}` is not known"),
                        Some(
                            "use `utf-8`, `utf-8-lossy` (invalid bytes read as U+FFFD) or \
                             a name from the WHATWG Encoding Standard such as `latin1`"
                                .into(),
                        ),
                    ));
                }
            },
        };
    }
    Ok(out)
}

const DTYPE_NAMES: [&str; 20] = [
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float32",
    "float64",
    "bool",
    "utf8",
    "binary",
    "date32",
    "time64[ns]",
    "timestamp[us]",
    "duration[us]",
    "decimal",
    "list",
    "struct",
];

/// Arrow-style type names: `int32`, `utf8`, `timestamp[ms, UTC]`, `decimal(10, 2)`.
pub(crate) fn parse_dtype(text: &str) -> Option<Dtype> {
    let t = text.trim().to_ascii_lowercase();
    let bits = |rest: &str, allowed: &[u8]| rest.parse::<u8>().ok().filter(|b| allowed.contains(b));
    if let Some(rest) = t.strip_prefix("uint") {
        return bits(rest, &[8, 16, 32, 64]).map(Dtype::UInt);
    }
    if let Some(rest) = t.strip_prefix("int") {
        return bits(rest, &[8, 16, 32, 64]).map(Dtype::Int);
    }
    if let Some(rest) = t.strip_prefix("float") {
        return bits(rest, &[32, 64]).map(Dtype::Float);
    }
    let unit_of = |inner: &str| match inner.trim() {
        u @ ("ms" | "us" | "ns") => Some(u.to_string()),
        _ => None,
    };
    if let Some(inner) = t
        .strip_prefix("timestamp[")
        .and_then(|r| r.strip_suffix(']'))
    {
        let mut parts = inner.splitn(2, ',');
        let unit = unit_of(parts.next()?)?;
        // Keep the zone's spelling: zone names are case-sensitive.
        let tz = text.find(',').map(|i| {
            text[i + 1..]
                .trim()
                .trim_end_matches(']')
                .trim()
                .to_string()
        });
        return Some(Dtype::Timestamp(unit, tz.filter(|z| !z.is_empty())));
    }
    if let Some(inner) = t
        .strip_prefix("duration[")
        .and_then(|r| r.strip_suffix(']'))
    {
        return unit_of(inner).map(Dtype::Duration);
    }
    if let Some(inner) = t.strip_prefix("decimal(").and_then(|r| r.strip_suffix(')')) {
        let (p, s) = inner.split_once(',')?;
        return Some(Dtype::Decimal(Some((
            p.trim().parse().ok()?,
            s.trim().parse().ok()?,
        ))));
    }
    Some(match t.as_str() {
        "bool" | "boolean" => Dtype::Bool,
        "utf8" | "string" | "large_utf8" | "large_string" | "str" => Dtype::Utf8,
        "binary" | "large_binary" => Dtype::Binary,
        "date32" | "date" => Dtype::Date,
        "time64[ns]" | "time" => Dtype::Time,
        "decimal" => Dtype::Decimal(None),
        "list" | "large_list" => Dtype::List,
        "struct" => Dtype::Struct,
        "categorical" | "dictionary" => Dtype::Categorical,
        "null" => Dtype::Null,
        _ => return None,
    })
}
