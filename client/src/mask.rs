//! Customer e-mails in a form fit for logs, journals and progress lines.

/// The e-mail with its local part masked: the first character, then `***`,
/// then `@` and the domain, e.g. `j***@example.com`. Not an address at all
/// (no `@`, or nothing before it) gives `***`. Never more than the first
/// character of the local part appears, so the address cannot be read back.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() => {
            let first = local.chars().next().unwrap_or('*');
            // Controls and separators would let a line be forged; the domain is shown as is otherwise.
            let domain: String =
                domain.chars().map(|c| if c.is_control() || c.is_whitespace() { '?' } else { c }).collect();
            let first = if first.is_control() || first.is_whitespace() { '?' } else { first };
            format!("{first}***@{domain}")
        }
        _ => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_parts_are_masked() {
        assert_eq!(mask_email("jane.doe+kyc@Example.COM"), "j***@Example.COM");
        assert_eq!(mask_email("x@example.org"), "x***@example.org");
        assert_eq!(mask_email("not an address"), "***");
        assert_eq!(mask_email("@example.com"), "***");
        assert_eq!(mask_email(""), "***");
        assert_eq!(mask_email("a@b@example.com"), "a***@example.com");
        assert_eq!(mask_email("\u{e9}lise@example.fr"), "\u{e9}***@example.fr");
        assert_eq!(mask_email("a@exa\nmple.com"), "a***@exa?mple.com");
    }
}
