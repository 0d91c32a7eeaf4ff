//! The report job: build one requested report. The job names the report; its row holds
//! what to build, so a retried job builds the same thing.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A report to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportJob {
    /// The report (state QUEUED, or RUNNING when a worker stopped midway).
    pub report_id: Uuid,
}
