import { graphql } from '$lib/gql';

export const AccountSettings = graphql(`
  query AccountSettings {
    account { id name taxId plan isActive timezone locale retentionDays reportRetentionDays role createdAt }
  }
`);

export const UpdateAccount = graphql(`
  mutation UpdateAccount($input: UpdateAccountInput!) {
    updateAccount(input: $input) { id name taxId plan isActive timezone locale retentionDays reportRetentionDays role createdAt }
  }
`);

export const AccountMembers = graphql(`
  query AccountMembers {
    members { id role joinedAt user { id email name } }
  }
`);

export const InviteMember = graphql(`
  mutation InviteMember($email: String!, $role: Role!) {
    inviteMember(email: $email, role: $role) { id email role expiresAt token }
  }
`);

export const ChangeMemberRole = graphql(`
  mutation ChangeMemberRole($memberId: ID!, $role: Role!) {
    changeMemberRole(memberId: $memberId, role: $role) { id role joinedAt user { id email name } }
  }
`);

export const RemoveMember = graphql(`
  mutation RemoveMember($memberId: ID!) {
    removeMember(memberId: $memberId)
  }
`);
