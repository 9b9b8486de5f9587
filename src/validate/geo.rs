//! `geopoint` and `geojson` values. A geopoint is a longitude and a
//! latitude written as `lon, lat`, as a JSON array or as a JSON object
//! (Table Schema), each a number within the globe's bounds. A geojson value
//! is a JSON object of the GeoJSON profile Table Schema's reference
//! implementation validates against, or of its TopoJSON one (`format:
//! topojson`); the rules below are those profiles' rules, written out.

use polars::prelude::*;
use serde_json::{Map, Value};

/// How a field writes its geopoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PointForm {
    /// `lon, lat` (the blank after the comma optional).
    Pair,
    /// `[lon, lat]`.
    Array,
    /// `{"lon": lon, "lat": lat}`.
    Object,
}

impl PointForm {
    pub fn of(format: Option<&str>) -> Option<PointForm> {
        match format {
            None => Some(PointForm::Pair),
            Some("array") => Some(PointForm::Array),
            Some("object") => Some(PointForm::Object),
            Some(_) => None,
        }
    }
}

/// Whether `text` is a geopoint written in `form`.
pub fn is_point(text: &str, form: PointForm) -> bool {
    point(text, form).is_some()
}

/// A geopoint's value as one text, the same however it is written
/// (`90, 45`, `90.0,45`, `9e1, 45`), so that geopoints compare as values.
pub fn point_key(text: &str, form: PointForm) -> Option<String> {
    let (lon, lat) = point(text, form)?;
    Some(format!("{},{}", number_key(&lon)?, number_key(&lat)?))
}

/// A geopoint's longitude and latitude as written, where `text` is one.
fn point(text: &str, form: PointForm) -> Option<(String, String)> {
    let (lon, lat) = match form {
        PointForm::Pair => {
            let mut parts = text.split(',');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(lon), Some(lat), None) => (lon.trim().to_string(), lat.trim().to_string()),
                _ => return None,
            }
        }
        PointForm::Array => match serde_json::from_str::<Value>(text).ok()? {
            Value::Array(items) => match items.as_slice() {
                [Value::Number(lon), Value::Number(lat)] => (lon.to_string(), lat.to_string()),
                _ => return None,
            },
            _ => return None,
        },
        PointForm::Object => match serde_json::from_str::<Value>(text).ok()? {
            Value::Object(m) if m.len() == 2 => match (m.get("lon"), m.get("lat")) {
                (Some(Value::Number(lon)), Some(Value::Number(lat))) => {
                    (lon.to_string(), lat.to_string())
                }
                _ => return None,
            },
            _ => return None,
        },
    };
    on_globe(&lon, &lat).then_some((lon, lat))
}

/// A decimal number's value as one text: its sign, significant digits and
/// power of ten.
fn number_key(text: &str) -> Option<String> {
    let (digits, whole) = decimal(text)?;
    if digits.is_empty() {
        return Some("0".into());
    }
    let sign = if text.starts_with('-') { "-" } else { "" };
    Some(format!("{sign}{digits}e{whole}"))
}

/// Whether the decimal numbers `lon` and `lat` are a longitude within ±180
/// and a latitude within ±90, compared exactly (a float rounds
/// `180.0000000000000001` to 180).
fn on_globe(lon: &str, lat: &str) -> bool {
    within(lon, LONGITUDE) && within(lat, LATITUDE)
}

/// The bounds 180 and 90 as [`decimal`] writes numbers.
const LONGITUDE: (&str, i64) = ("18", 3);
const LATITUDE: (&str, i64) = ("9", 2);

/// Whether the decimal number `text` lies within ± the bound `(digits,
/// whole)`, both as [`decimal`] writes numbers.
fn within(text: &str, (bound_digits, bound_whole): (&str, i64)) -> bool {
    let Some((digits, whole)) = decimal(text) else {
        return false;
    };
    // Significant digits with leading and trailing zeros removed, and how
    // many of them come before the point: two such values compare by the
    // count first, then digit by digit.
    if digits.is_empty() {
        return true;
    }
    match whole.cmp(&bound_whole) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => digits.as_str() <= bound_digits,
    }
}

/// A decimal number's significant digits (no leading or trailing zeros)
/// and the power of ten after its first one; `None` if `text` is not an
/// optionally signed decimal number with an optional exponent.
fn decimal(text: &str) -> Option<(String, i64)> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let exponent: i64 = match exponent {
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            e.parse().unwrap_or(if e.starts_with('-') {
                i64::MIN / 2
            } else {
                i64::MAX / 2
            })
        }
        None => 0,
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let all = format!("{int}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let significant = all
        .trim_start_matches('0')
        .trim_end_matches('0')
        .to_string();
    Some((significant, int.len() as i64 - lead as i64 + exponent))
}

/// Whether `text` is a GeoJSON object (`topo`: a TopoJSON one).
pub fn is_geojson(text: &str, topo: bool) -> bool {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(o)) if topo => topojson(&o),
        Ok(Value::Object(o)) => geojson(&o),
        _ => false,
    }
}

fn number(v: &Value) -> bool {
    v.is_number()
}

fn integer(v: &Value) -> bool {
    v.is_i64() || v.is_u64()
}

/// An array whose every item passes `item`, with at least `min` of them.
fn array_of(v: &Value, min: usize, item: impl Fn(&Value) -> bool) -> bool {
    v.as_array()
        .is_some_and(|a| a.len() >= min && a.iter().all(item))
}

/// The member `key` of `o` passes `rule`, where it is present.
fn optional(o: &Map<String, Value>, key: &str, rule: impl Fn(&Value) -> bool) -> bool {
    o.get(key).is_none_or(rule)
}

fn geojson(o: &Map<String, Value>) -> bool {
    let root = optional(o, "crs", crs) && optional(o, "bbox", |b| array_of(b, 0, number));
    root && match o.get("type").and_then(Value::as_str) {
        None => false,
        Some("GeometryCollection") => o
            .get("geometries")
            .is_some_and(|g| array_of(g, 0, |g| g.as_object().is_some_and(geometry))),
        Some("Feature") => feature(o),
        Some("FeatureCollection") => o
            .get("features")
            .is_some_and(|f| array_of(f, 0, |f| f.as_object().is_none_or(feature))),
        Some(_) => geometry(o),
    }
}

/// A GeoJSON position: exactly two numbers.
fn position(v: &Value) -> bool {
    v.as_array()
        .is_some_and(|a| a.len() == 2 && a.iter().all(number))
}

fn positions(v: &Value, min: usize) -> bool {
    array_of(v, min, position)
}

fn polygon(v: &Value) -> bool {
    array_of(v, 0, |ring| positions(ring, 4))
}

fn geometry(o: &Map<String, Value>) -> bool {
    let Some(c) = o.get("coordinates") else {
        return false;
    };
    match o.get("type").and_then(Value::as_str) {
        Some("Point") => position(c),
        Some("MultiPoint") => positions(c, 0),
        Some("LineString") => positions(c, 2),
        Some("MultiLineString") => array_of(c, 0, |l| positions(l, 2)),
        Some("Polygon") => polygon(c),
        Some("MultiPolygon") => array_of(c, 0, polygon),
        _ => false,
    }
}

/// A feature (the profile does not require a feature in a collection to
/// be an object: what is not one passes).
fn feature(o: &Map<String, Value>) -> bool {
    let geometry_ok = |g: &Value| g.is_null() || g.as_object().is_some_and(geometry);
    o.get("geometry").is_some_and(geometry_ok)
        && o.get("properties")
            .is_some_and(|p| p.is_object() || p.is_null())
        && optional(o, "type", |t| t.as_str() == Some("Feature"))
}

/// A coordinate reference system: named or linked (a null one matches
/// both alternatives of the profile's `oneOf`, so neither).
fn crs(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    if o.keys().any(|k| k != "type" && k != "properties") {
        return false;
    }
    let Some(props) = o.get("properties").and_then(Value::as_object) else {
        return false;
    };
    match o.get("type").and_then(Value::as_str) {
        Some("name") => {
            props.keys().all(|k| k == "name") && props.get("name").is_some_and(Value::is_string)
        }
        Some("link") => {
            props.get("href").is_some_and(Value::is_string)
                && optional(props, "type", Value::is_string)
        }
        _ => false,
    }
}

fn topojson(o: &Map<String, Value>) -> bool {
    optional(o, "bbox", topo_bbox)
        && match o.get("type").and_then(Value::as_str) {
            Some("Topology") => topology(o),
            _ if o.contains_key("type") => topo_geometry(o),
            _ => false,
        }
}

/// Two arrays of numbers.
fn topo_bbox(v: &Value) -> bool {
    v.as_array().is_some_and(|a| a.len() == 2) && array_of(v, 2, |d| array_of(d, 0, number))
}

fn topology(o: &Map<String, Value>) -> bool {
    let numbers = |v: &Value| array_of(v, 2, number);
    let arc_point = |p: &Value| p.is_null() || numbers(p);
    o.get("objects")
        .and_then(Value::as_object)
        .is_some_and(|objects| {
            objects
                .values()
                .all(|g| g.as_object().is_some_and(topo_geometry))
        })
        && o.get("arcs")
            .is_some_and(|a| array_of(a, 0, |arc| array_of(arc, 2, arc_point)))
        && optional(o, "transform", |t| {
            t.as_object().is_some_and(|t| {
                t.get("scale").is_some_and(numbers) && t.get("translate").is_some_and(numbers)
            })
        })
}

fn topo_geometry(o: &Map<String, Value>) -> bool {
    let ints = |v: &Value| array_of(v, 0, integer);
    let rings = |v: &Value| array_of(v, 0, ints);
    let position = |v: &Value| array_of(v, 2, number);
    let common = optional(o, "id", |id| id.is_string() || integer(id))
        && optional(o, "properties", Value::is_object);
    let member = |key: &str, rule: &dyn Fn(&Value) -> bool| o.get(key).is_some_and(rule);
    common
        && match o.get("type").and_then(Value::as_str) {
            Some("Point") => member("coordinates", &position),
            Some("MultiPoint") => member("coordinates", &|c: &Value| array_of(c, 0, position)),
            Some("LineString") => member("arcs", &ints),
            Some("MultiLineString") | Some("Polygon") => member("arcs", &rings),
            Some("MultiPolygon") => member("arcs", &|a: &Value| array_of(a, 0, rings)),
            Some("GeometryCollection") => member("geometries", &|g: &Value| {
                array_of(g, 0, |g| g.as_object().is_some_and(topo_geometry))
            }),
            _ => false,
        }
}

/// For text `v`: whether each value passes `test`; null where `v` is null.
pub fn holds(v: Expr, test: impl Fn(&str) -> bool + Send + Sync + 'static) -> Expr {
    super::udf::map(
        v,
        move |c: Column| {
            let ok: BooleanChunked = c.str()?.iter().map(|s| s.map(&test)).collect();
            Ok(ok.with_name(c.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_read_in_each_form_and_bounded_exactly() {
        assert_eq!(decimal("180"), Some((LONGITUDE.0.to_string(), LONGITUDE.1)));
        assert_eq!(decimal("90"), Some((LATITUDE.0.to_string(), LATITUDE.1)));
        for ok in [
            "90, 45",
            "90,45",
            " -180 , 90",
            "180.000, -90",
            "1e2,0",
            ".5,5.",
        ] {
            assert!(is_point(ok, PointForm::Pair), "{ok}");
        }
        for bad in [
            "180.0000000000000001, 0",
            "0, 90.5",
            "1e3, 0",
            "90 45",
            "1,2,3",
            "a, 1",
            ", 1",
            "NaN, 1",
            "1_0, 1",
        ] {
            assert!(!is_point(bad, PointForm::Pair), "{bad}");
        }
        assert!(is_point("[90, 45.5]", PointForm::Array));
        assert!(!is_point("[90, 45, 1]", PointForm::Array));
        assert!(!is_point("[\"90\", 45]", PointForm::Array));
        assert!(!is_point("[190, 45]", PointForm::Array));
        assert!(is_point(r#"{"lat": 45, "lon": 90}"#, PointForm::Object));
        assert!(!is_point(
            r#"{"lat": 45, "lon": 90, "x": 1}"#,
            PointForm::Object
        ));
        assert!(!is_point(r#"{"lat": 45, "long": 90}"#, PointForm::Object));
        let key = |t: &str, form| point_key(t, form).unwrap();
        assert_eq!(
            key("90, 45", PointForm::Pair),
            key("9e1,45.0", PointForm::Pair)
        );
        assert_eq!(
            key("90, 45", PointForm::Pair),
            key(r#"{"lon": 90.0, "lat": 45}"#, PointForm::Object)
        );
        assert_ne!(
            key("90, 45", PointForm::Pair),
            key("-90, 45", PointForm::Pair)
        );
        assert_eq!(
            key("-0, 0", PointForm::Pair),
            key("0, 0.000", PointForm::Pair)
        );
    }

    #[test]
    fn geojson_follows_its_profile() {
        for ok in [
            r#"{"type": "Point", "coordinates": [1, 2]}"#,
            r#"{"type": "Feature", "geometry": null, "properties": {"k": "v"}}"#,
            r#"{"type": "FeatureCollection", "features": [5]}"#,
            r#"{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}"#,
            r#"{"type": "GeometryCollection", "geometries": []}"#,
        ] {
            assert!(is_geojson(ok, false), "{ok}");
        }
        for bad in [
            r#"{"type": "Point", "coordinates": [1, 2, 3]}"#,
            r#"{"type": "Point"}"#,
            r#"{"type": "Feature", "geometry": null}"#,
            r#"{"type": "LineString", "coordinates": [[1, 2]]}"#,
            r#"{"type": "Point", "coordinates": [1, 2], "crs": null}"#,
            r#"{"coordinates": [1, 2]}"#,
            "[1, 2]",
            "nonsense",
        ] {
            assert!(!is_geojson(bad, false), "{bad}");
        }
        assert!(is_geojson(
            r#"{"type": "Topology", "objects": {"a": {"type": "LineString", "arcs": [0]}}, "arcs": [[[0, 0], null]]}"#,
            true
        ));
        assert!(!is_geojson(r#"{"type": "Topology", "objects": {}}"#, true));
        assert!(!is_geojson(
            r#"{"type": "LineString", "arcs": [0.5]}"#,
            true
        ));
    }
}
