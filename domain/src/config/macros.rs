//! The one place a setting is declared: `settings!` turns a list of groups and their
//! settings into the group structs, their defaults, the environment table and the masked
//! printout, so adding a setting is one edit and none of the four can drift apart.

use std::path::PathBuf;

/// A setting's value as printed at start: `None` when unset (printed `-`).
pub(super) trait Shown {
    /// The value as text, or `None` when it is unset or empty.
    fn shown(&self) -> Option<String>;
}

impl Shown for String {
    fn shown(&self) -> Option<String> {
        (!self.trim().is_empty()).then(|| self.clone())
    }
}

impl Shown for PathBuf {
    fn shown(&self) -> Option<String> {
        Some(self.display().to_string())
    }
}

impl<T: Shown> Shown for Option<T> {
    fn shown(&self) -> Option<String> {
        self.as_ref().and_then(T::shown)
    }
}

macro_rules! shown_as_text {
    ($($t:ty),*) => {$(
        impl Shown for $t {
            fn shown(&self) -> Option<String> {
                Some(self.to_string())
            }
        }
    )*};
}
shown_as_text!(bool, u64, i64);

/// A setting's printed form: as it is, a URL with its password masked, or a secret
/// reduced to whether it is set.
macro_rules! shown {
    ($value:expr) => {
        $crate::config::macros::Shown::shown($value).unwrap_or_else(|| "-".into())
    };
    ($value:expr, url) => {
        $crate::config::macros::Shown::shown($value)
            .map(|url| $crate::config::mask_url(&url))
            .unwrap_or_else(|| "-".into())
    };
    ($value:expr, secret) => {
        if $crate::config::macros::Shown::shown($value).is_some() {
            "***".to_owned()
        } else {
            "(unset)".to_owned()
        }
    };
}

/// Declares [`Settings`](super::Settings) and its groups. Per group: its doc, its key
/// (the TOML table) and struct; per setting: its doc, `name: type = default => "ENV_VAR"`
/// and, for what must not be printed as it is, `as url` (password masked) or `as secret`.
macro_rules! settings {
    ($(
        $(#[doc = $group_doc:literal])*
        $group:ident: $Group:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident: $ty:ty = $default:expr => $env:literal $(as $show:ident)?;
            )*
        }
    )*) => {
        /// Everything the services need to know about their surroundings, by concern; in
        /// the TOML file each group is a table (`[database] url = …`).
        #[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Settings {
            $( $(#[doc = $group_doc])* pub $group: $Group, )*
        }

        $(
            $(#[doc = $group_doc])*
            #[derive(Clone, PartialEq, Serialize, Deserialize)]
            #[serde(default, deny_unknown_fields)]
            pub struct $Group {
                $( $(#[doc = $doc])* pub $field: $ty, )*
            }

            impl Default for $Group {
                fn default() -> Self {
                    Self { $( $field: $default, )* }
                }
            }

            /// `group.setting=value …`, secrets and URL passwords masked.
            impl fmt::Display for $Group {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    let shown: &[String] = &[$(
                        format!(
                            "{}.{}={}",
                            stringify!($group),
                            stringify!($field),
                            shown!(&self.$field $(, $show)?),
                        ),
                    )*];
                    f.write_str(&shown.join(" "))
                }
            }

            /// As printed: a secret in a failed assertion stays masked.
            impl fmt::Debug for $Group {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    fmt::Display::fmt(self, f)
                }
            }
        )*

        /// Environment variable → setting (`group.setting`), as the operator contract
        /// names them.
        const ENV_KEYS: &[(&str, &str)] = &[$($(
            ($env, concat!(stringify!($group), ".", stringify!($field))),
        )*)*];

        impl Settings {
            /// Every group as printed, in declaration order.
            fn groups_shown(&self) -> Vec<String> {
                vec![$( self.$group.to_string(), )*]
            }
        }
    };
}
