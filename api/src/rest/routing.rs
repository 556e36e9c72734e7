//! The LCD routes: read from the `google.api.http` annotations of the served services, and
//! matched against a request's verb and path (literal segments beat variables).

use axum::http::Method;
use prost_reflect::{DynamicMessage, MethodDescriptor, Value};

use crate::descriptors::rest_services;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{field}`: one path segment into a (possibly nested) request field.
    Var(String),
    /// `{field=**}`: the rest of the path.
    Rest(String),
}

#[derive(Clone, Debug)]
pub struct Route {
    pub(crate) verb: Method,
    segments: Vec<Segment>,
    /// `*`: the whole body is the request; empty: no body.
    pub(super) body: String,
    pub method: MethodDescriptor,
}

impl Route {
    pub fn template(&self) -> String {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => format!("/{l}"),
                Segment::Var(v) => format!("/{{{v}}}"),
                Segment::Rest(v) => format!("/{{{v}=**}}"),
            })
            .collect()
    }
}

fn parse_template(t: &str) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    for part in t.trim_start_matches('/').split('/') {
        if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            match inner.split_once('=') {
                Some((name, "**")) => out.push(Segment::Rest(name.to_string())),
                Some((name, "*")) => out.push(Segment::Var(name.to_string())),
                Some(_) => return None,
                None => out.push(Segment::Var(inner.to_string())),
            }
        } else if part.contains('{') || part.contains('}') {
            return None;
        } else {
            out.push(Segment::Literal(part.to_string()));
        }
    }
    Some(out)
}

fn rules_of(rule: &DynamicMessage) -> Vec<(Method, String, String)> {
    let s = |name: &str| match rule.get_field_by_name(name).as_deref() {
        Some(Value::String(v)) => v.clone(),
        _ => String::new(),
    };
    let body = s("body");
    let mut out = Vec::new();
    for (verb, m) in [
        ("get", Method::GET),
        ("post", Method::POST),
        ("put", Method::PUT),
        ("delete", Method::DELETE),
        ("patch", Method::PATCH),
    ] {
        let t = s(verb);
        if !t.is_empty() {
            out.push((m, t, body.clone()));
        }
    }
    if let Some(Value::List(more)) = rule.get_field_by_name("additional_bindings").as_deref() {
        for r in more {
            if let Value::Message(m) = r {
                out.extend(rules_of(m));
            }
        }
    }
    out
}

/// Every LCD route of the served services, from their `google.api.http` options.
pub fn routes(pool: &prost_reflect::DescriptorPool) -> Vec<Route> {
    let Some(http) = pool.get_extension_by_name("google.api.http") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in rest_services() {
        let Some(svc) = pool.get_service_by_name(name) else {
            continue;
        };
        for m in svc.methods() {
            let opts = m.options();
            if !opts.has_extension(&http) {
                continue;
            }
            if let Value::Message(rule) = opts.get_extension(&http).as_ref() {
                for (verb, t, body) in rules_of(rule) {
                    if let Some(segments) = parse_template(&t) {
                        out.push(Route {
                            verb,
                            segments,
                            body,
                            method: m.clone(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// A matched route, its path variables and its number of literal segments.
type Match<'a> = (&'a Route, Vec<(String, String)>, usize);

/// Matches a path against the routes; literal segments beat variables.
pub(super) fn find<'a>(
    routes: &'a [Route],
    verb: &Method,
    path: &str,
) -> Option<(&'a Route, Vec<(String, String)>)> {
    let parts: Vec<&str> = path
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .collect();
    // The best match so far: its route, path variables and number of literal segments.
    let mut best: Option<Match<'a>> = None;
    'routes: for r in routes.iter().filter(|r| r.verb == *verb) {
        let mut vars = Vec::new();
        let mut literals = 0;
        let mut i = 0;
        for (k, seg) in r.segments.iter().enumerate() {
            match seg {
                Segment::Literal(l) => {
                    if parts.get(i) != Some(&l.as_str()) {
                        continue 'routes;
                    }
                    literals += 1;
                    i += 1;
                }
                Segment::Var(v) => {
                    match parts.get(i) {
                        Some(p) if !p.is_empty() => vars.push((v.clone(), percent_decode(p))),
                        _ => continue 'routes,
                    }
                    i += 1;
                }
                Segment::Rest(v) => {
                    if k + 1 != r.segments.len() || i >= parts.len() {
                        continue 'routes;
                    }
                    vars.push((v.clone(), percent_decode(&parts[i..].join("/"))));
                    i = parts.len();
                }
            }
        }
        if i != parts.len() {
            continue;
        }
        if best.as_ref().is_none_or(|(_, _, l)| literals > *l) {
            best = Some((r, vars, literals));
        }
    }
    best.map(|(r, v, _)| (r, v))
}

pub(super) fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
