//! Which media type a GraphQL answer is sent as, from the request's `Accept`.

use axum::http::{HeaderMap, HeaderValue, header};

/// The two media types GraphQL over HTTP answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Media {
    /// `application/graphql-response+json`: request errors are 4xx, without `data`.
    GraphqlResponse,
    /// `application/json`, the legacy type: every well-formed GraphQL request is 200.
    Json,
}

impl Media {
    /// The `Content-Type` of an answer in this media type.
    pub(crate) fn content_type(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        })
    }

    /// The media type the client prefers; `None` when it accepts neither (406).
    ///
    /// Without `Accept`, or when a wildcard welcomes both equally, the answer is
    /// `application/json`, as the specification asks for the sake of clients older than
    /// the new type. Between two named types the higher `q` wins, then the more specific
    /// range, then the one named first.
    pub(crate) fn negotiate(headers: &HeaderMap) -> Option<Media> {
        let ranges: Vec<Range<'_>> = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(Range::parse)
            .enumerate()
            .map(|(index, range)| Range { index, ..range })
            .collect();
        if ranges.is_empty() {
            return Some(Media::Json);
        }
        let graphql = best_match(&ranges, "graphql-response+json").filter(|m| m.q > 0.0);
        let json = best_match(&ranges, "json").filter(|m| m.q > 0.0);
        match (graphql, json) {
            (Some(g), Some(j)) => {
                let graphql_wins = g.q > j.q
                    || (g.q == j.q && g.specificity > j.specificity)
                    || (g.q == j.q
                        && g.specificity == 2
                        && j.specificity == 2
                        && g.index < j.index);
                Some(if graphql_wins {
                    Media::GraphqlResponse
                } else {
                    Media::Json
                })
            }
            (Some(_), None) => Some(Media::GraphqlResponse),
            (None, Some(_)) => Some(Media::Json),
            (None, None) => None,
        }
    }
}

/// One media range of `Accept`, e.g. `application/json;q=0.9`.
#[derive(Clone, Copy)]
struct Range<'a> {
    kind: &'a str,
    subtype: &'a str,
    q: f32,
    index: usize,
}

impl<'a> Range<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.split(';').map(str::trim);
        let (kind, subtype) = parts.next()?.split_once('/')?;
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, v)| v.trim().parse::<f32>().ok())?;
        Some(Range {
            kind: kind.trim(),
            subtype: subtype.trim(),
            q,
            index: 0,
        })
    }
}

/// How an `application/<subtype>` matched: the `q` of its most specific range.
struct Match {
    q: f32,
    /// 2 for the type itself, 1 for `application/*`, 0 for `*/*`.
    specificity: u8,
    index: usize,
}

fn best_match(ranges: &[Range<'_>], subtype: &str) -> Option<Match> {
    ranges
        .iter()
        .filter_map(|r| {
            let specificity = match (r.kind, r.subtype) {
                ("*", "*") => 0,
                (k, "*") if k.eq_ignore_ascii_case("application") => 1,
                (k, s)
                    if k.eq_ignore_ascii_case("application") && s.eq_ignore_ascii_case(subtype) =>
                {
                    2
                }
                _ => return None,
            };
            Some(Match {
                q: r.q,
                specificity,
                index: r.index,
            })
        })
        .max_by_key(|m| m.specificity)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn negotiate(accept: Option<&str>) -> Option<Media> {
        let mut headers = HeaderMap::new();
        if let Some(accept) = accept {
            headers.insert(
                header::ACCEPT,
                HeaderValue::from_str(accept).expect("ascii"),
            );
        }
        Media::negotiate(&headers)
    }

    #[test]
    fn clients_get_the_type_they_prefer() {
        use Media::*;
        assert_eq!(negotiate(None), Some(Json));
        assert_eq!(negotiate(Some("*/*")), Some(Json));
        assert_eq!(negotiate(Some("application/json")), Some(Json));
        assert_eq!(
            negotiate(Some("application/graphql-response+json")),
            Some(GraphqlResponse)
        );
        // Preferred with a fallback, and urql's default.
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json,application/json;q=0.9"
            )),
            Some(GraphqlResponse)
        );
        assert_eq!(
            negotiate(Some(
                "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed"
            )),
            Some(GraphqlResponse)
        );
        assert_eq!(
            negotiate(Some("application/json, application/graphql-response+json")),
            Some(Json)
        );
        assert_eq!(
            negotiate(Some("application/graphql-response+json;q=0.5, */*")),
            Some(Json)
        );
        assert_eq!(negotiate(Some("text/html,*/*;q=0.8")), Some(Json));
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(negotiate(Some("application/json;q=0")), None);
    }
}
