//! Header values → small values: the one place that parses what sits after a
//! header's colon for the model — numbers (Retry-After, Expires, Min-Expires),
//! comma-separated lists, name-addr with its parameters (Contact, To), `;name=value`
//! parameters, Digest challenge and credential parameters, and display strings.
//!
//! Pure functions over bytes borrowed from the message; no allocation except
//! for display strings. What a value means to a call or a registration is the
//! model's business; finding the header in the message is `message`'s.

use super::message::trim_bytes as trim;

/// Leading decimal digits as a number, saturating at `u32::MAX`
/// ("120 (maintenance);duration=60" → 120; "soon" → None).
pub fn leading_u32(v: &[u8]) -> Option<u32> {
    let v = trim(v);
    let digits: Vec<u8> = v
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    if digits.is_empty() {
        return None;
    }
    Some(digits.iter().fold(0u64, |acc, d| {
        (acc * 10 + u64::from(d - b'0')).min(u64::from(u32::MAX))
    }) as u32)
}

/// The entries of a comma-separated header value, ignoring commas inside quotes
/// or `<…>`, each trimmed; empty entries dropped.
pub fn list_items(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    let (mut quoted, mut angle, mut start) = (false, false, 0);
    let mut cuts = Vec::new();
    for (i, &b) in v.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'<' if !quoted => angle = true,
            b'>' if !quoted => angle = false,
            b',' if !quoted && !angle => {
                cuts.push((start, i));
                start = i + 1;
            }
            _ => {}
        }
    }
    cuts.push((start, v.len()));
    cuts.into_iter()
        .map(move |(s, e)| trim(v.get(s..e).unwrap_or_default()))
        .filter(|i| !i.is_empty())
}

/// The first entry of a comma-separated value (empty when none).
pub fn first_item(v: &[u8]) -> &[u8] {
    list_items(v).next().unwrap_or_default()
}

/// Splits a name-addr or addr-spec into (URI, the parameters after it, from
/// their first ';'). `"A, B" <sip:a@x>;expires=5` → (`sip:a@x`, `;expires=5`).
pub fn split_addr(v: &[u8]) -> (&[u8], &[u8]) {
    // Jumps from quote to quote by `find_byte2`, not byte by byte: this runs on the From
    // and To of every message (the tags), and the byte loop was 4 % of a SIP-heavy
    // run's instructions (issue #16). A backslash escapes only inside quotes.
    let mut at = 0;
    loop {
        let rest = v.get(at..).unwrap_or_default();
        match crate::bytes::find_byte2(b'"', b'<', rest) {
            Some(i) if rest.get(i) == Some(&b'<') => {
                let rest = rest.get(i + 1..).unwrap_or_default();
                return match crate::bytes::find_byte(b'>', rest) {
                    Some(c) => (
                        rest.get(..c).unwrap_or_default(),
                        rest.get(c + 1..).unwrap_or_default(),
                    ),
                    None => (rest, &[]),
                };
            }
            Some(i) => match closing_quote(v, at + i + 1) {
                Some(close) => at = close + 1,
                None => break, // unterminated: no name-addr
            },
            None => break,
        }
    }
    let v = trim(v);
    match crate::bytes::find_byte(b';', v) {
        Some(s) => (
            v.get(..s).unwrap_or_default(),
            v.get(s..).unwrap_or_default(),
        ),
        None => (v, &[]),
    }
}

/// Where the quoted string opened before `from` ends (the index of its closing quote).
fn closing_quote(v: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let i = from + crate::bytes::find_byte2(b'"', b'\\', v.get(from..)?)?;
        if v.get(i) == Some(&b'"') {
            return Some(i);
        }
        from = i + 2; // the escaped byte, whatever it is
    }
}

/// The reference for [`split_addr`]: the same split, byte by byte.
#[cfg(test)]
fn split_addr_bytewise(v: &[u8]) -> (&[u8], &[u8]) {
    let mut quoted = false;
    let mut escaped = false;
    for (i, &b) in v.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'"' => quoted = !quoted,
            b'\\' if quoted => escaped = true,
            b'<' if !quoted => {
                let rest = v.get(i + 1..).unwrap_or_default();
                return match rest.iter().position(|b| *b == b'>') {
                    Some(c) => (
                        rest.get(..c).unwrap_or_default(),
                        rest.get(c + 1..).unwrap_or_default(),
                    ),
                    None => (rest, &[]),
                };
            }
            _ => {}
        }
    }
    let v = trim(v);
    match v.iter().position(|b| *b == b';') {
        Some(s) => (
            v.get(..s).unwrap_or_default(),
            v.get(s..).unwrap_or_default(),
        ),
        None => (v, &[]),
    }
}

/// `name=value` split at the first '=', both trimmed, the value unquoted.
fn name_value(item: &[u8]) -> Option<(&[u8], &[u8])> {
    let eq = item.iter().position(|b| *b == b'=')?;
    let name = trim(item.get(..eq)?);
    let value = trim(item.get(eq + 1..)?);
    Some((name, unquote(value)))
}

/// A value without the double quotes around it, if it has both.
fn unquote(value: &[u8]) -> &[u8] {
    value
        .strip_prefix(b"\"")
        .and_then(|x| x.strip_suffix(b"\""))
        .unwrap_or(value)
}

/// A `;name=value` parameter (name case-insensitive, value unquoted).
///
/// Jumps from `;` to `;` with [`crate::bytes::find_byte`] and trims a value only
/// for the name asked for: this runs for the branch of every Via and the tags of
/// every From and To, and the split byte by byte was 4 % of a SIP-heavy run's
/// instructions (issue #16). [`tests::param_split`] is the reference.
pub fn param<'a>(params: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    // What comes before the first ';' is not a parameter.
    let mut rest = params.get(crate::bytes::find_byte(b';', params)? + 1..)?;
    // A name that is a plain token can be matched as written first: nearly every
    // branch and tag is `;branch=…` exactly, and trimming the item, finding its
    // `=` and folding case byte by byte was a third of this function.
    let plain = !name.is_empty() && name.iter().all(|&b| b != b'=' && !b.is_ascii_whitespace());
    loop {
        let (item, next) = match crate::bytes::find_byte(b';', rest) {
            Some(i) => (rest.get(..i)?, rest.get(i + 1..)),
            None => (rest, None),
        };
        if plain
            && item.get(name.len()) == Some(&b'=')
            && item
                .get(..name.len())
                .is_some_and(|n| crate::bytes::same(n, name))
        {
            // What the general match below reads from such an item.
            let value = trim(item.get(name.len() + 1..)?);
            return Some(unquote(value));
        }
        let item = trim(item);
        if let Some(eq) = item.iter().position(|b| *b == b'=') {
            if trim(item.get(..eq)?).eq_ignore_ascii_case(name) {
                return name_value(item).map(|(_, v)| v);
            }
        }
        rest = next?;
    }
}

/// A parameter of a Digest challenge or credentials (`Digest a="x", b=y`), unquoted.
pub fn digest_param<'a>(v: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let v = trim(v);
    // Skip the scheme ("Digest").
    let v = match v.iter().position(|b| b.is_ascii_whitespace()) {
        Some(sp) if !v.get(..sp).unwrap_or_default().contains(&b'=') => {
            v.get(sp..).unwrap_or_default()
        }
        _ => v,
    };
    list_items(v)
        .filter_map(name_value)
        .find_map(|(n, val)| n.eq_ignore_ascii_case(name).then_some(val))
}

/// The user part of a SIP URI or name-addr (`"Bob" <sip:bob@x;user=phone>` → `bob`).
pub fn uri_user(v: &[u8]) -> &[u8] {
    let (uri, _) = split_addr(v);
    let rest = match uri.iter().position(|b| *b == b':') {
        Some(c) => uri.get(c + 1..).unwrap_or_default(),
        None => uri,
    };
    match rest.iter().position(|b| *b == b'@') {
        Some(at) => {
            let user = rest.get(..at).unwrap_or_default();
            user.split(|b| *b == b';').next().unwrap_or_default()
        }
        None => &[],
    }
}

/// Bytes from a capture as a display string: lossy UTF-8, control characters
/// replaced, at most `max` bytes of input. Borrowed when the bytes are printable
/// ASCII already (nearly every URI): a value looked up in an interner then costs
/// no copy unless it is new.
pub fn display_borrowed(v: &[u8], max: usize) -> std::borrow::Cow<'_, str> {
    let v = v.get(..v.len().min(max)).unwrap_or_default();
    // Printable ASCII, nearly every value: no per-char rebuilding (it ran for every
    // URI of every call on the model thread); ASCII is UTF-8, so this borrows.
    if v.iter().all(|b| (0x20..0x7f).contains(b)) {
        // Checked again by `from_utf8`'s word-at-a-time ASCII path, not by the
        // lossy decoder's chunk iterator (1 % of a SIP-heavy run's instructions).
        if let Ok(s) = std::str::from_utf8(v) {
            return std::borrow::Cow::Borrowed(s);
        }
    }
    String::from_utf8_lossy(v)
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// [`display_borrowed`], owned.
pub fn display(v: &[u8], max: usize) -> String {
    display_borrowed(v, max).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `split_addr` jumps by `find_byte2`; it must split exactly as the byte loop it
    /// replaced, on every arrangement of quotes, escapes, angle brackets and
    /// semicolons (random strings over those bytes, and real header values).
    #[test]
    fn split_addr_splits_as_the_byte_loop_did() {
        let alphabet = b"\"\\<>;a =";
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut cases: Vec<Vec<u8>> = vec![
            b"\"Alice\" <sip:alice@x>;tag=1".to_vec(),
            b"\"A \\\" <b>\" <sip:a@x>;tag=2".to_vec(),
            b"sip:bob@x;tag=3".to_vec(),
            b"<sip:c@x".to_vec(),
            b"\"unterminated <sip:d@x>".to_vec(),
            b"\"ends in a backslash\\".to_vec(),
            Vec::new(),
        ];
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize;
            let case = (0..len)
                .map(|k| alphabet[((seed >> (4 + 4 * k)) % alphabet.len() as u64) as usize])
                .collect();
            cases.push(case);
        }
        for c in &cases {
            assert_eq!(
                split_addr(c),
                split_addr_bytewise(c),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
    }

    /// The reference for [`param`]: split at every ';', the first piece skipped.
    pub(super) fn param_split<'a>(params: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
        params
            .split(|b| *b == b';')
            .skip(1)
            .filter_map(|p| name_value(trim(p)))
            .find_map(|(n, v)| n.eq_ignore_ascii_case(name).then_some(v))
    }

    /// `param` finds what the split found, on random strings of separators,
    /// spaces, quotes and names that differ only in case, longer than one SSE2 block.
    #[test]
    fn param_finds_what_the_split_found() {
        let pieces: &[&[u8]] = &[
            b";",
            b"=",
            b" ",
            b"\t",
            b"\"",
            b"tag",
            b"TAG",
            b"Tag",
            b"branch",
            b"z9hG4bK-1",
            b"x",
            b"tag2",
            b"rport",
            b"received=10.0.0.1",
            b"abcdefghijklmnopqrstuvwxyz",
            b"a=b",
            b"\x0c",
        ];
        let mut seed = 0x5851_f42d_4c95_7f2du64;
        for _ in 0..100_000 {
            let mut v = Vec::new();
            let take = |seed: &mut u64| {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                *seed
            };
            for _ in 0..take(&mut seed) % 24 {
                v.extend_from_slice(pieces[(take(&mut seed) % pieces.len() as u64) as usize]);
            }
            for name in [
                &b"tag"[..],
                b"branch",
                b"rport",
                b"",
                b"TAG",
                b"a=b",
                b" tag",
            ] {
                assert_eq!(
                    param(&v, name),
                    param_split(&v, name),
                    "{:?}",
                    String::from_utf8_lossy(&v)
                );
            }
        }
    }

    #[test]
    fn a_borrowed_display_string_is_the_display_string() {
        for v in [
            &b"sip:alice@example.com"[..],
            b"sip:b\x01ob@x",
            b"caf\xc3\xa9",
            b"\xff\xfe",
            b"",
        ] {
            for max in [usize::MAX, 5] {
                assert_eq!(display_borrowed(v, max), display(v, max), "{v:?} {max}");
            }
        }
        assert!(matches!(
            display_borrowed(b"sip:alice@example.com", usize::MAX),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn numbers_saturate_and_stop_at_the_first_non_digit() {
        assert_eq!(leading_u32(b" 120 (x);duration=5"), Some(120));
        assert_eq!(leading_u32(b"99999999999"), Some(u32::MAX));
        assert_eq!(leading_u32(b"soon"), None);
        assert_eq!(leading_u32(b""), None);
    }

    #[test]
    fn lists_respect_quotes_and_angle_brackets() {
        let items: Vec<_> = list_items(b"\"a, b\" <sip:a@x>;expires=1, <sip:b,c@y>,,").collect();
        assert_eq!(
            items,
            [&b"\"a, b\" <sip:a@x>;expires=1"[..], b"<sip:b,c@y>"]
        );
        assert_eq!(first_item(b" , "), b"");
    }

    #[test]
    fn digest_parameters() {
        let ch = b"Digest realm=\"a,b\", nonce=\"N1\",stale=FALSE, algorithm=MD5";
        assert_eq!(digest_param(ch, b"nonce"), Some(&b"N1"[..]));
        assert_eq!(digest_param(ch, b"realm"), Some(&b"a,b"[..]));
        assert_eq!(digest_param(ch, b"STALE"), Some(&b"FALSE"[..]));
        assert_eq!(digest_param(ch, b"qop"), None);
        assert_eq!(digest_param(b"Digest", b"nonce"), None);
    }

    #[test]
    fn name_addr_and_parameters() {
        let (uri, params) = split_addr(b"sip:a@x;expires=\"30\"");
        assert_eq!(
            (uri, param(params, b"EXPIRES")),
            (&b"sip:a@x"[..], Some(&b"30"[..]))
        );
        let (uri, params) = split_addr(b"\"Q \\\" <x>\" <sip:b@y:5060>;tag=9");
        assert_eq!(
            (uri, param(params, b"tag")),
            (&b"sip:b@y:5060"[..], Some(&b"9"[..]))
        );
        assert_eq!(split_addr(b"<sip:unterminated").0, b"sip:unterminated");
        assert_eq!(uri_user(b"\"Bob\" <sip:bob@x;user=phone>"), b"bob");
        assert_eq!(uri_user(b"sip:x.example"), b"");
        assert_eq!(uri_user(b"tel:+1555;phone-context=x"), b"");
    }

    #[test]
    fn display_strings_are_bounded_and_printable() {
        assert_eq!(display(b"ok\x1b[2J\xff", 100), "ok\u{fffd}[2J\u{fffd}");
        assert_eq!(display(b"abcdef", 3), "abc");
    }
}
