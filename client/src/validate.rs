//! Checks run on a customer before any network traffic.
//!
//! Each failure is an [`Error`] of kind `Validation` naming the service's
//! field (`email`, `dob`, `documents.front`, ...). Values that pass are sent
//! byte-for-byte as given: nothing here rewrites an e-mail or a date.

use super::error::Error;

/// Checks an e-mail address the way mail systems accept it in practice:
/// `local@domain`, where `local` is a dot-atom (letters, digits and
/// ``!#$%&'*+/=?^_`{|}~-``, dots not leading, trailing or doubled; at most 64
/// bytes) and `domain` has at least two labels of letters, digits and inner
/// hyphens (each at most 63 bytes), a top-level label that is not all digits,
/// and the whole address is at most 254 bytes. Plus-addressing and upper case
/// are valid. Quoted local parts and IP-literal domains are rejected.
pub fn check_email(email: &str) -> Result<(), Error> {
    let bad = |why: &str| Err(Error::validation("email", format!("email is not a valid address: {why}")));
    if email.is_empty() {
        return Err(Error::validation("email", "email is required"));
    }
    if email.len() > 254 {
        return bad("longer than 254 bytes");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return bad("no '@'");
    };
    if local.is_empty() || local.len() > 64 {
        return bad("the part before '@' must be 1 to 64 bytes");
    }
    const ATEXT: &[u8] = b"!#$%&'*+/=?^_`{|}~-";
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return bad("misplaced '.' before '@'");
    }
    if !local.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || ATEXT.contains(&b)) {
        return bad("a character that is not allowed before '@'");
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return bad("the domain needs a dot");
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return bad("the domain is not a valid host name");
        }
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return bad("the top-level domain is numeric");
    }
    Ok(())
}

/// Checks `dob` is a real calendar date written `YYYYMMDD` (exactly eight
/// digits, year 1800–2999, a month 01–12, a day that exists in that month,
/// 29 February only in leap years).
pub fn check_dob(dob: &str) -> Result<(), Error> {
    let b = dob.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return Err(Error::validation("dob", "dob must be a date written YYYYMMDD (eight digits, e.g. 19700101)"));
    }
    let num = |r: std::ops::Range<usize>| dob[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (num(0..4), num(4..6), num(6..8));
    if !(1800..=2999).contains(&year) {
        return Err(Error::validation("dob", "dob year must be between 1800 and 2999"));
    }
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(Error::validation("dob", "dob month must be 01 to 12")),
    };
    if day == 0 || day > days {
        return Err(Error::validation(
            "dob",
            format!("dob is not a real date: month {month:02} of {year} has no day {day:02}"),
        ));
    }
    Ok(())
}

/// An image format recognised from its leading bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`).
    Png,
    /// GIF (`GIF87a` / `GIF89a`).
    Gif,
    /// WebP (`RIFF....WEBP`).
    Webp,
    /// TIFF (`II*\0` / `MM\0*`).
    Tiff,
    /// BMP (`BM`).
    Bmp,
    /// HEIF/HEIC/AVIF (ISO-BMFF `ftyp` box with an image brand).
    Heif,
    /// PDF (`%PDF-`).
    Pdf,
}

/// How many leading bytes [`sniff_image`] needs to recognise every format.
pub const SNIFF_LEN: usize = 16;

/// Recognises an image format from the first bytes of the file (at least
/// [`SNIFF_LEN`] bytes where available). The file name is never consulted.
pub fn sniff_image(head: &[u8]) -> Option<ImageFormat> {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(ImageFormat::Gif)
    } else if head.len() >= 12 && starts(b"RIFF") && &head[8..12] == b"WEBP" {
        Some(ImageFormat::Webp)
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some(ImageFormat::Tiff)
    } else if starts(b"BM") && head.len() >= 6 {
        Some(ImageFormat::Bmp)
    } else if head.len() >= 12
        && &head[4..8] == b"ftyp"
        && matches!(&head[8..12], b"heic" | b"heix" | b"mif1" | b"msf1" | b"heif" | b"avif" | b"hevc")
    {
        Some(ImageFormat::Heif)
    } else if starts(b"%PDF-") {
        Some(ImageFormat::Pdf)
    } else {
        None
    }
}

/// Checks a document's leading bytes are a recognised image format, unless
/// `check` is false (the caller's explicit override for formats this list does
/// not know).
pub fn check_image(field: &str, head: &[u8], check: bool) -> Result<(), Error> {
    if head.is_empty() {
        return Err(Error::validation(field, format!("{field} is empty")));
    }
    if check && sniff_image(head).is_none() {
        return Err(Error::validation(
            field,
            format!(
                "{field} is not a recognised image (JPEG, PNG, GIF, WebP, TIFF, BMP, HEIF/HEIC/AVIF or PDF, \
                 judged by its leading bytes); set check_image_format to false to send it anyway"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_accepted_as_sent() {
        for ok in
            ["ada@example.com", "Jane.Doe+kyc@Example.COM", "a_b-c@sub.example.co.uk", "x@a-b.io", "o'neil@example.org"]
        {
            assert_eq!(check_email(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn emails_rejected_naming_the_field() {
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@localhost",
            "a..b@example.com",
            ".a@example.com",
            "a b@example.com",
            "a@exa_mple.com",
            "a@-example.com",
            "a@example.123",
            "\"q\"@example.com",
            "a@[127.0.0.1]",
        ] {
            let e = check_email(bad).unwrap_err();
            assert_eq!(e.field(), Some("email"), "{bad}");
            assert_eq!(e.kind(), crate::ErrorKind::Validation);
        }
    }

    #[test]
    fn dob_calendar() {
        for ok in ["19700101", "20000229", "19960229", "19991231"] {
            assert_eq!(check_dob(ok), Ok(()), "{ok}");
        }
        for bad in [
            "19900231",
            "1990-01-31",
            "01/31/1990",
            "19000229",
            "19901301",
            "19900100",
            "1990010",
            "199001011",
            "17990101",
            "",
        ] {
            let e = check_dob(bad).unwrap_err();
            assert_eq!(e.field(), Some("dob"), "{bad}");
        }
        assert!(check_dob("19900231").unwrap_err().message().contains("no day 31"));
    }

    #[test]
    fn sniffing_by_leading_bytes() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageFormat::Jpeg));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some(ImageFormat::Png));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageFormat::Webp));
        assert_eq!(sniff_image(b"\0\0\0\x18ftypheic"), Some(ImageFormat::Heif));
        assert_eq!(sniff_image(b"%PDF-1.7"), Some(ImageFormat::Pdf));
        assert_eq!(sniff_image(b"hello world"), None);
        assert!(check_image("documents.front", b"hello", true).is_err());
        assert!(check_image("documents.front", b"hello", false).is_ok());
        assert!(check_image("documents.front", b"", false).is_err());
    }
}
