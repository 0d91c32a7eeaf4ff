//! Query limits (SPEC §4). Data queries are held to a depth and a complexity in which a
//! list counts as its page size times its items. Introspection (`__schema`, `__type`)
//! has a budget of its own: the standard query of graphql-js (GraphiQL, codegen, Apollo)
//! is 15 fields deep and must pass, while a data query that deep must not.
//!
//! async-graphql computes one complexity and one depth for the whole document, so the
//! schema is built without its own limits and this extension splits the document: it
//! walks the introspection subtrees itself and checks each part against its budget.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::registry::{MetaType, Registry};
use async_graphql::{ServerError, ServerResult, ValidationResult, Variables};
use tds_domain::page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// Deepest data query accepted.
pub const MAX_DEPTH: usize = 10;
/// Most expensive data query accepted (lists count as their page size times their items).
pub const MAX_COMPLEXITY: usize = 20_000;
/// Deepest introspection accepted (graphql-js's standard query is 15 deep).
pub const MAX_INTROSPECTION_DEPTH: usize = 20;
/// Introspection may cost this many times what the standard query costs. Each
/// introspection list counts as the largest it can be in this schema (all types, the most
/// fields of one type, the most arguments of one field …), so the budget bounds the
/// answer and follows the schema as it grows: one list nested deeper than the standard
/// query's shape, or a third copy of it, is refused.
pub const INTROSPECTION_BUDGET_IN_STANDARD_QUERIES: usize = 2;

/// `getIntrospectionQuery()` of graphql-js 16.15 (the same text as 17.1) with every option
/// on (descriptions, specifiedByUrl, directiveIsRepeatable, schemaDescription,
/// inputValueDeprecation, oneOf): what GraphiQL, graphql-codegen and Apollo send.
pub const STANDARD_INTROSPECTION_QUERY: &str = include_str!("standard_introspection.graphql");

/// Complexity of a paginated list: its page size (default and cap as the domain's) times
/// the complexity of one item. An out-of-range size counts as the cap, so the resolver's
/// own VALIDATION message about `first` is what the client sees.
pub(crate) fn page(first: Option<i32>, item: usize) -> usize {
    up_to(first, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, item)
}

/// Complexity of a list of `requested` items (`default` when absent, at most `max`).
pub(crate) fn up_to(requested: Option<i32>, default: u64, max: u64, item: usize) -> usize {
    let size = requested.map_or(default, |n| u64::try_from(n).unwrap_or(1).clamp(1, max));
    usize::try_from(size)
        .unwrap_or(usize::MAX)
        .saturating_mul(item)
}

/// The extension enforcing both budgets.
pub(crate) struct Limits {
    budget: Arc<OnceLock<Budget>>,
}

impl Limits {
    pub(crate) fn new() -> Self {
        Self {
            budget: Arc::new(OnceLock::new()),
        }
    }
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestLimits {
            budget: self.budget.clone(),
            tally: Mutex::new(None),
        })
    }
}

struct RequestLimits {
    budget: Arc<OnceLock<Budget>>,
    tally: Mutex<Option<Tally>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let budget = self
            .budget
            .get_or_init(|| Budget::of(&ctx.schema_env.registry));
        let mut tally = Walk::new(&document, &budget.sizes).document();
        tally.introspection_budget = budget.introspection_cost;
        if let Ok(mut slot) = self.tally.lock() {
            *slot = Some(tally);
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let tally = self.tally.lock().ok().and_then(|mut t| t.take());
        let Some(tally) = tally else {
            return Err(vec![ServerError::new("Query could not be measured.", None)]);
        };
        // async-graphql counts every introspection field as 1 (they have no complexity of
        // their own): what remains is the data part.
        let complexity = result.complexity.saturating_sub(tally.introspection_fields);
        let refuse = |message: &str| Err(vec![ServerError::new(message, None)]);
        if tally.depth > MAX_DEPTH {
            return refuse(&format!(
                "Query is nested too deep ({} levels, at most {MAX_DEPTH}).",
                tally.depth
            ));
        }
        if complexity > MAX_COMPLEXITY {
            return refuse(&format!(
                "Query is too complex ({complexity}, at most {MAX_COMPLEXITY}; a list counts as its page size times its items)."
            ));
        }
        if tally.introspection_depth > MAX_INTROSPECTION_DEPTH {
            return refuse(&format!(
                "Introspection is nested too deep ({} levels, at most {MAX_INTROSPECTION_DEPTH}).",
                tally.introspection_depth
            ));
        }
        if tally.introspection_cost > tally.introspection_budget {
            return refuse(&format!(
                "Introspection is too complex ({}, at most {}: {INTROSPECTION_BUDGET_IN_STANDARD_QUERIES} times the standard introspection query).",
                tally.introspection_cost, tally.introspection_budget
            ));
        }
        Ok(ValidationResult {
            complexity,
            depth: tally.depth,
            ..result
        })
    }
}

/// What introspection may cost in this schema.
#[derive(Debug)]
struct Budget {
    sizes: ListSizes,
    introspection_cost: usize,
}

impl Budget {
    fn of(registry: &Registry) -> Self {
        let sizes = ListSizes::of(registry);
        let standard = match async_graphql::parser::parse_query(STANDARD_INTROSPECTION_QUERY) {
            Ok(document) => Walk::new(&document, &sizes).document().introspection_cost,
            Err(e) => {
                // A constant of this crate; its test parses it. Refuse rather than allow all.
                tracing::error!(error = %e, "the standard introspection query does not parse");
                0
            }
        };
        Self {
            sizes,
            introspection_cost: standard.saturating_mul(INTROSPECTION_BUDGET_IN_STANDARD_QUERIES),
        }
    }
}

/// The largest each introspection list can be in this schema.
#[derive(Debug, Clone, Copy)]
struct ListSizes {
    types: usize,
    directives: usize,
    members: usize,
    arguments: usize,
    possible_types: usize,
}

impl ListSizes {
    fn of(registry: &Registry) -> Self {
        let mut sizes = Self {
            types: registry.types.len(),
            directives: registry.directives.len(),
            members: 1,
            arguments: 1,
            possible_types: 1,
        };
        let mut arguments = |n: usize| sizes.arguments = sizes.arguments.max(n);
        for ty in registry.types.values() {
            match ty {
                MetaType::Object { fields, .. } => {
                    fields.values().for_each(|f| arguments(f.args.len()));
                }
                MetaType::Interface { fields, .. } => {
                    fields.values().for_each(|f| arguments(f.args.len()));
                }
                _ => {}
            }
        }
        registry
            .directives
            .values()
            .for_each(|d| arguments(d.args.len()));
        for ty in registry.types.values() {
            let (members, possible) = match ty {
                MetaType::Object { fields, .. } => (fields.len(), 0),
                MetaType::Interface {
                    fields,
                    possible_types,
                    ..
                } => (fields.len(), possible_types.len()),
                MetaType::Union { possible_types, .. } => (0, possible_types.len()),
                MetaType::Enum { enum_values, .. } => (enum_values.len(), 0),
                MetaType::InputObject { input_fields, .. } => (input_fields.len(), 0),
                MetaType::Scalar { .. } => (0, 0),
            };
            sizes.members = sizes.members.max(members);
            sizes.possible_types = sizes.possible_types.max(possible);
        }
        let interfaces = registry.implements.values().map(|i| i.len()).max();
        sizes.possible_types = sizes.possible_types.max(interfaces.unwrap_or(0));
        sizes
    }

    /// How many items an introspection field named `name` can return.
    fn of_field(&self, name: &str) -> usize {
        match name {
            "types" => self.types,
            "directives" => self.directives,
            "fields" | "inputFields" | "enumValues" => self.members,
            "interfaces" | "possibleTypes" => self.possible_types,
            "args" => self.arguments,
            _ => 1,
        }
    }
}

/// What one selection set costs.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    /// Data fields deep.
    depth: usize,
    /// Introspection fields, each counted once (as async-graphql counts them).
    introspection_fields: usize,
    /// Introspection fields with each list multiplied by its largest size.
    introspection_cost: usize,
    /// Introspection fields deep.
    introspection_depth: usize,
    /// What introspection may cost (set once the document is measured).
    introspection_budget: usize,
}

impl Tally {
    fn and(self, other: Tally) -> Tally {
        Tally {
            depth: self.depth.max(other.depth),
            introspection_fields: self
                .introspection_fields
                .saturating_add(other.introspection_fields),
            introspection_cost: self
                .introspection_cost
                .saturating_add(other.introspection_cost),
            introspection_depth: self.introspection_depth.max(other.introspection_depth),
            introspection_budget: self.introspection_budget.max(other.introspection_budget),
        }
    }
}

/// Where a selection set sits: `__schema` and `__type` exist only on the query root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Position {
    Root,
    Data,
    Introspection,
}

/// Walks a document as async-graphql's validation does (fragments inline, `__typename`
/// not counted, every operation), remembering each fragment's tally so a document that
/// spreads fragments many times is measured in linear time.
struct Walk<'a> {
    document: &'a ExecutableDocument,
    sizes: &'a ListSizes,
    known: HashMap<(&'a str, Position), Tally>,
    open: HashSet<&'a str>,
}

impl<'a> Walk<'a> {
    fn new(document: &'a ExecutableDocument, sizes: &'a ListSizes) -> Self {
        Self {
            document,
            sizes,
            known: HashMap::new(),
            open: HashSet::new(),
        }
    }

    fn document(mut self) -> Tally {
        let document = self.document;
        document
            .operations
            .iter()
            .fold(Tally::default(), |tally, (_, operation)| {
                tally.and(self.selection_set(&operation.node.selection_set.node, Position::Root))
            })
    }

    fn selection_set(&mut self, set: &'a SelectionSet, position: Position) -> Tally {
        let mut tally = Tally::default();
        for selection in &set.items {
            let one = match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if name == "__typename" {
                        continue;
                    }
                    let inner = match position {
                        Position::Root if name == "__schema" || name == "__type" => {
                            Position::Introspection
                        }
                        Position::Introspection => Position::Introspection,
                        Position::Root | Position::Data => Position::Data,
                    };
                    let child = self.selection_set(&field.node.selection_set.node, inner);
                    if inner == Position::Introspection {
                        Tally {
                            depth: 0,
                            introspection_fields: child.introspection_fields.saturating_add(1),
                            introspection_cost: self
                                .sizes
                                .of_field(name)
                                .saturating_mul(child.introspection_cost)
                                .saturating_add(1),
                            introspection_depth: child.introspection_depth + 1,
                            introspection_budget: 0,
                        }
                    } else {
                        Tally {
                            depth: child.depth + 1,
                            ..child
                        }
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    self.fragment(name, position)
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node, position)
                }
            };
            tally = tally.and(one);
        }
        tally
    }

    fn fragment(&mut self, name: &'a str, position: Position) -> Tally {
        if let Some(known) = self.known.get(&(name, position)) {
            return *known;
        }
        let document = self.document;
        // A cycle is refused by validation; here it only must not loop.
        let Some(fragment) = document.fragments.get(name) else {
            return Tally::default();
        };
        if !self.open.insert(name) {
            return Tally::default();
        }
        let tally = self.selection_set(&fragment.node.selection_set.node, position);
        self.open.remove(name);
        self.known.insert((name, position), tally);
        tally
    }
}
