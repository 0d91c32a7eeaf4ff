import { graphql } from '$lib/gql';

export const SignIn = graphql(`
  mutation SignIn($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
      expiresAt
      user { id email name }
    }
  }
`);

export const MyAccounts = graphql(`
  query MyAccounts {
    accounts { id name role timezone locale isActive }
  }
`);

export const AcceptInvitation = graphql(`
  mutation AcceptInvitation($token: String!, $name: String, $password: String) {
    acceptInvitation(token: $token, name: $name, password: $password) {
      login { token expiresAt user { id email name } }
      user { id email name }
      account { id name role timezone locale isActive }
    }
  }
`);
