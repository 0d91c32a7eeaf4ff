//! How far a request got, for the transport to answer with the right status.
//!
//! GraphQL over HTTP answers a request that never reached execution (unparsable,
//! invalid, variables that do not coerce) differently from one that ran: 400 and no
//! `data` entry for `application/graphql-response+json`. async-graphql's response
//! cannot tell the two apart (both may have `data: null` and errors), so the transport
//! attaches a [`RequestPhase`] and this extension records on it which operation the
//! document selected and whether execution began. A read-only request (HTTP GET) is
//! refused before execution when its operation is not a query.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerError, ServerResult, Variables};

/// What a transport learns about one request once the schema has answered it.
#[derive(Clone, Debug, Default)]
pub struct RequestPhase(Arc<PhaseState>);

#[derive(Debug, Default)]
struct PhaseState {
    read_only: bool,
    operation: Mutex<Option<OperationType>>,
    executed: AtomicBool,
}

impl RequestPhase {
    /// A phase for a request that may run any operation (HTTP POST).
    pub fn new() -> Self {
        Self::default()
    }

    /// A phase for a request that may run queries only (HTTP GET): anything else is
    /// refused before execution.
    pub fn read_only() -> Self {
        Self(Arc::new(PhaseState {
            read_only: true,
            ..PhaseState::default()
        }))
    }

    /// Whether execution began (parsing, validation and variable coercion passed).
    pub fn executed(&self) -> bool {
        self.0.executed.load(Ordering::SeqCst)
    }

    /// The type of the operation the document selected, once it was parsed.
    pub fn operation(&self) -> Option<OperationType> {
        *self
            .0
            .operation
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn record(&self, operation: Option<OperationType>) {
        *self
            .0
            .operation
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = operation;
    }
}

/// The extension recording each request's [`RequestPhase`] (when the transport gave one).
pub(crate) struct Phases;

impl ExtensionFactory for Phases {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(PhaseRecorder::default())
    }
}

/// One request's recorder: the operation name is seen before the document is.
#[derive(Default)]
struct PhaseRecorder {
    operation_name: Mutex<Option<String>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for PhaseRecorder {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        *self
            .operation_name
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = request.operation_name.clone();
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let Some(phase) = ctx.data_opt::<RequestPhase>() else {
            return Ok(document);
        };
        let name = self
            .operation_name
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let operation = selected(&document, name.as_deref());
        phase.record(operation);
        match operation {
            Some(OperationType::Mutation | OperationType::Subscription) if phase.0.read_only => {
                Err(ServerError::new(
                    "Only queries may be sent with GET; send mutations with POST.",
                    None,
                ))
            }
            _ => Ok(document),
        }
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Some(phase) = ctx.data_opt::<RequestPhase>() {
            phase.0.executed.store(true, Ordering::SeqCst);
        }
        next.run(ctx, operation_name).await
    }
}

/// The type of the operation `name` selects, as async-graphql chooses it (the named one;
/// without a name, the only one). `None` when nothing is selected: validation says why.
fn selected(document: &ExecutableDocument, name: Option<&str>) -> Option<OperationType> {
    match (&document.operations, name) {
        (DocumentOperations::Single(operation), _) => Some(operation.node.ty),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, operation)| operation.node.ty),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => operations
            .values()
            .next()
            .map(|operation| operation.node.ty),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(query: &str, name: Option<&str>) -> Option<OperationType> {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        selected(&document, name)
    }

    #[test]
    fn the_selected_operation_is_the_one_async_graphql_runs() {
        assert_eq!(ty("{ me { id } }", None), Some(OperationType::Query));
        assert_eq!(
            ty("mutation M { logout }", None),
            Some(OperationType::Mutation)
        );
        let two = "query Q { me { id } } mutation M { logout }";
        assert_eq!(ty(two, Some("M")), Some(OperationType::Mutation));
        assert_eq!(ty(two, Some("Q")), Some(OperationType::Query));
        assert_eq!(ty(two, None), None);
        assert_eq!(ty(two, Some("X")), None);
    }
}
