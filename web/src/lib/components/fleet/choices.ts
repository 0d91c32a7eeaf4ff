// Every gateway of the account for a chooser, a page of 100 at a time.
import { query } from '$lib/api/client';
import type { FleetGatewayChoicesQuery } from '$lib/gql/graphql';
import { FleetGatewayChoices } from '$lib/operations/fleet';

export type GatewayChoice = FleetGatewayChoicesQuery['gateways']['nodes'][number];

/** Up to `max` gateways, sorted by name (enough for a select; the lists search the rest). */
export async function gatewayChoices(max = 2000): Promise<GatewayChoice[]> {
  const all: GatewayChoice[] = [];
  let after: string | null = null;
  do {
    const { gateways }: FleetGatewayChoicesQuery = await query(FleetGatewayChoices, { after });
    all.push(...gateways.nodes);
    after = gateways.pageInfo.hasNextPage ? (gateways.pageInfo.endCursor ?? null) : null;
  } while (after && all.length < max);
  return all.sort((a, b) => a.name.localeCompare(b.name) || a.code.localeCompare(b.code));
}
