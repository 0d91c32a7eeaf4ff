import { graphql } from '$lib/gql';

export const CertificateOverview = graphql(`
  query CertificateOverview {
    certificateDashboard {
      expiring { expired within30Days within90Days within365Days within730Days later }
      byStatus { status count }
      renewalsByState { state count }
      renewalsInFlight
      lastRun { night startedAt scheduled }
      nextRunAt
    }
  }
`);

export const CertificateList = graphql(`
  query CertificateList($gatewayId: ID, $status: CertificateStatus, $expiringWithinDays: Int) {
    certificates(gatewayId: $gatewayId, status: $status, expiringWithinDays: $expiringWithinDays) {
      id
      serial
      commonName
      status
      notBefore
      notAfter
      keyAlgorithm
      revokedAt
      revocationReason
      gateway { id code name }
    }
  }
`);

export const CertificateGateways = graphql(`
  query CertificateGateways($after: String) {
    gateways(first: 100, after: $after) {
      nodes { id code name mac status }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

export const IssueCertificate = graphql(`
  mutation IssueCertificate($gatewayId: ID!, $algorithm: KeyAlgorithm!) {
    issueCertificate(gatewayId: $gatewayId, algorithm: $algorithm) {
      certificate { id serial commonName notAfter keyAlgorithm }
      certificatePem
      privateKeyPem
      caPem
      bundleDownloadPath
    }
  }
`);

export const RevokeCertificate = graphql(`
  mutation RevokeCertificate($id: ID!, $reason: String!) {
    revokeCertificate(id: $id, reason: $reason) { id status revokedAt revocationReason }
  }
`);

export const RenewCertificateNow = graphql(`
  mutation RenewCertificateNow($gatewayId: ID!) {
    renewCertificateNow(gatewayId: $gatewayId) { id state mode scheduledAt }
  }
`);

export const CertificateRenewalLog = graphql(`
  query CertificateRenewalLog($gatewayId: ID, $state: RenewalState, $after: String) {
    certificateRenewals(gatewayId: $gatewayId, state: $state, first: 20, after: $after) {
      nodes {
        id
        mode
        state
        attempts
        onDemand
        scheduledAt
        publishedAt
        acknowledgedAt
        completedAt
        deadlineAt
        error
        gateway { id code name }
        oldCertificate { id serial }
        newCertificate { id serial }
        log { at step detail }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
`);
