import { graphql } from '$lib/gql';

export const ReportItem = graphql(`
  fragment ReportItem on Report {
    id
    kind
    period
    format
    state
    progress
    from
    to
    deviceIds
    gatewayId
    fileSize
    pages
    rows
    error
    scheduleId
    createdAt
    completedAt
    expiresAt
    downloadUrl
  }
`);

export const ReportList = graphql(`
  query ReportList($first: Int, $after: String) {
    reports(first: $first, after: $after) {
      nodes { ...ReportItem }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const ReportRequest = graphql(`
  mutation ReportRequest($input: RequestReportInput!) {
    requestReport(input: $input) { ...ReportItem }
  }
`);

export const ReportLiveStatus = graphql(`
  subscription ReportLiveStatus($reportId: ID) {
    reportStatus(reportId: $reportId) {
      reportId
      state
      progress
      at
      report { ...ReportItem }
    }
  }
`);

export const ReportScheduleItem = graphql(`
  fragment ReportScheduleItem on ReportSchedule {
    id
    name
    cron
    kind
    period
    format
    deviceIds
    gatewayId
    recipients
    enabled
    lastRunAt
    nextRunAt
    lastError
    lastReport { id state }
    createdAt
  }
`);

export const ReportScheduleList = graphql(`
  query ReportScheduleList {
    reportSchedules { ...ReportScheduleItem }
  }
`);

export const ReportScheduleCreate = graphql(`
  mutation ReportScheduleCreate($input: ReportScheduleInput!) {
    createReportSchedule(input: $input) { ...ReportScheduleItem }
  }
`);

export const ReportScheduleUpdate = graphql(`
  mutation ReportScheduleUpdate($id: ID!, $input: ReportScheduleInput!) {
    updateReportSchedule(id: $id, input: $input) { ...ReportScheduleItem }
  }
`);

export const ReportScheduleDelete = graphql(`
  mutation ReportScheduleDelete($id: ID!) {
    deleteReportSchedule(id: $id)
  }
`);

// Gateways with their devices, to choose what a report covers (a page at a time).
export const ReportPickers = graphql(`
  query ReportPickers($after: String) {
    gateways(first: 100, after: $after) {
      nodes { id code name devices { id code name } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
