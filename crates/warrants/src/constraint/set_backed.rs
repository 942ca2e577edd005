//! Declaring a constraint type whose whole state is one [`ValueSet`]:
//! [`super::NotOneOf`], [`super::Contains`] and [`super::Subset`].
//!
//! Such types differ only in their messages ([`SetNames`]), docs, matching
//! and narrowing rules. What they share is written once here: the struct
//! with its constructor and accessor ([`set_backed_type!`]), and the wire
//! parameters, one canonical list ([`set_backed_params!`]), so the types
//! cannot drift apart on validation or wire form.
//!
//! [`ValueSet`]: super::not_one_of::ValueSet
//! [`SetNames`]: super::not_one_of::SetNames

/// Declares `pub struct $name { set: ValueSet }` (deriving `Debug`,
/// `Clone`, `PartialEq`) with `pub fn new(values)`, which builds the set
/// with the given [`SetNames`](super::not_one_of::SetNames), and
/// `pub fn values(&self)`, the values in canonical order. Each item gets
/// the docs written above it; `new`'s docs end with the validity rules,
/// the same for every such type.
macro_rules! set_backed_type {
    (
        $(#[$doc:meta])*
        pub struct $name:ident(names: $names:path);
        $(#[$new_doc:meta])*
        pub fn new;
        $(#[$values_doc:meta])*
        pub fn values;
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            set: $crate::constraint::not_one_of::ValueSet,
        }

        impl $name {
            $(#[$new_doc])*
            ///
            /// Sorts and de-duplicates (by canonical encoding); refuses an
            /// empty set, NaN, values nested deeper than 16 levels and more
            /// than 1024 values.
            pub fn new<V: Into<$crate::value::Value>>(
                values: impl IntoIterator<Item = V>,
            ) -> Result<Self, $crate::error::ConstraintError> {
                Ok(Self {
                    set: $crate::constraint::not_one_of::ValueSet::new(values, &$names)?,
                })
            }

            $(#[$values_doc])*
            pub fn values(&self) -> &[$crate::value::Value] {
                self.set.values()
            }
        }
    };
}

/// The wire methods of [`Kind`](super::Kind) for a [`set_backed_type!`]
/// type, used inside its `impl Kind`: the parameters are exactly one
/// canonical list, the set's values (decoded with the given
/// [`SetNames`](super::not_one_of::SetNames)).
macro_rules! set_backed_params {
    ($names:path) => {
        fn encode_params(&self, w: &mut $crate::cbor::Writer) {
            self.set.encode(w);
        }

        fn param_count(&self) -> usize {
            1
        }

        fn decode_params(
            r: &mut $crate::cbor::Reader<'_>,
            n: usize,
        ) -> Result<Self, $crate::error::DecodeError> {
            Ok(Self {
                set: $crate::constraint::not_one_of::ValueSet::decode(r, n, &$names)?,
            })
        }
    };
}

pub(super) use {set_backed_params, set_backed_type};
