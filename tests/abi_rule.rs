//! The header's one rule, checked on the header itself: every function
//! declared in `include/dcams.h` either cannot fail (a `_free` returning
//! void, `dcams_version`, `dcams_code_name`) or returns `dcams_code`, takes
//! `char **out_error` last, and names its value outputs `out_*` right before
//! it. The versioned structs start with `uint32_t struct_size`, and every
//! enumerator of `dcams_code` has the name `dcams_code_name` gives its value.

use std::ffi::CStr;

const HEADER: &str = include_str!("../include/dcams.h");

/// The header without comments, whitespace collapsed.
fn code_only(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("/*") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
    }
    out.push_str(rest);
    let out: String = out.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>().join(" ");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Debug)]
struct Function {
    ret: String,
    name: String,
    params: Vec<(String, String)>, // (type, name)
}

/// Every `<ret> dcams_x(<params>);` declaration.
fn functions() -> Vec<Function> {
    let code = code_only(HEADER);
    let mut found = Vec::new();
    for decl in code.split(';') {
        let Some(open) = decl.find("(") else { continue };
        let head = decl[..open].trim();
        let Some(name) = head.split([' ', '*']).rfind(|w| !w.is_empty()) else { continue };
        if !name.starts_with("dcams_") || !decl.trim_end().ends_with(')') || head.contains('{') || head.contains('#') {
            continue;
        }
        let ret = head[..head.len() - name.len()].trim().to_owned();
        let inner = &decl[open + 1..decl.rfind(')').expect("ends with )")];
        let params = inner
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty() && *p != "void")
            .map(|p| {
                let split = p.rfind([' ', '*']).expect("a parameter has a type and a name") + 1;
                (p[..split].replace(' ', "").replace("struct", "struct "), p[split..].to_owned())
            })
            .collect();
        found.push(Function { ret, name: name.to_owned(), params });
    }
    found
}

#[test]
fn the_rule_is_stated_at_the_top() {
    let opening = &HEADER[..HEADER.find("*/").expect("an opening comment")];
    for needle in ["THE ONE RULE", "returns a dcams_code", "only", "DCAMS_OK", "out_error", "struct_size"] {
        assert!(opening.contains(needle), "the header's opening comment lacks {needle:?}");
    }
}

#[test]
fn every_function_follows_the_rule() {
    let functions = functions();
    assert!(functions.len() >= 25, "parsed only {} functions: {functions:?}", functions.len());
    let mut problems = Vec::new();
    for f in &functions {
        let params: Vec<&str> = f.params.iter().map(|(_, n)| n.as_str()).collect();
        if f.name.ends_with("_free") {
            if f.ret != "void" || f.params.len() != 1 || !f.params[0].0.ends_with('*') {
                problems.push(format!("{}: a free takes one pointer and returns void", f.name));
            }
            continue;
        }
        if f.name == "dcams_version" || f.name == "dcams_code_name" {
            if f.ret != "const char *" {
                problems.push(format!("{}: returns a static const char *", f.name));
            }
            continue;
        }
        if f.ret != "dcams_code" {
            problems.push(format!("{}: returns {:?}, not dcams_code", f.name, f.ret));
        }
        match f.params.last() {
            Some((ty, name)) if ty == "char**" && name == "out_error" => {}
            other => problems.push(format!("{}: last parameter is {other:?}, not char **out_error", f.name)),
        }
        // Value outputs: named out_*, pointers, all right before out_error.
        let first_out = params.iter().position(|n| n.starts_with("out_")).unwrap_or(params.len());
        if params[first_out..].iter().any(|n| !n.starts_with("out_")) {
            problems.push(format!("{}: inputs after outputs: {params:?}", f.name));
        }
        for (ty, name) in &f.params[first_out..] {
            if !ty.ends_with('*') {
                problems.push(format!("{}: output {name} is not a pointer", f.name));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_owned_type_has_one_free() {
    let functions = functions();
    let frees: Vec<&str> = functions.iter().filter(|f| f.name.ends_with("_free")).map(|f| f.name.as_str()).collect();
    for opaque in ["dcams_client", "dcams_config", "dcams_call", "dcams_images"] {
        let free = format!("{opaque}_free");
        assert_eq!(frees.iter().filter(|f| **f == free).count(), 1, "{free} in {frees:?}");
        // Handed out only through an out-pointer of a function that documents its free.
        assert!(HEADER.contains(&format!("`{free}`")), "the header never names {free} for {opaque}");
    }
    assert!(frees.contains(&"dcams_string_free"));
}

#[test]
fn versioned_structs_start_with_struct_size() {
    let code = code_only(HEADER);
    for name in ["dcams_customer", "dcams_document", "dcams_call_meta", "dcams_batch_options", "dcams_batch_summary"] {
        let start = code.find(&format!("typedef struct {name} {{")).unwrap_or_else(|| panic!("{name} is not defined"));
        let body = &code[start..];
        let first = body[body.find('{').unwrap() + 1..].split(';').next().unwrap().trim();
        assert_eq!(first, "uint32_t struct_size", "{name}'s first member");
        assert!(HEADER.contains(&format!("{}_INIT", name.to_ascii_uppercase())), "{name} has no _INIT macro");
    }
}

#[test]
fn code_names_match_the_enum() {
    let code = code_only(HEADER);
    let start = code.find("enum dcams_code").expect("enum dcams_code");
    let body = &code[code[start..].find('{').unwrap() + start + 1..];
    let body = &body[..body.find('}').unwrap()];
    let mut seen = 0;
    for item in body.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (name, value) = item.split_once('=').expect("every code has an explicit value");
        let value: i32 = value.trim().parse().expect("a number");
        // SAFETY: dcams_code_name returns a static string.
        let got = unsafe { CStr::from_ptr(dcams::code::dcams_code_name(value)) }.to_str().unwrap();
        assert_eq!(got, name.trim(), "dcams_code_name({value})");
        seen += 1;
    }
    assert_eq!(seen, dcams::code::dcams_code::ALL.len(), "the header and dcams_code::ALL list the same codes");
}
