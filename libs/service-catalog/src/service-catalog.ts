import type { Pool } from 'pg';
import { ErrorCode, SluiceError, serviceTopologySchema, type ServiceTopology } from '../../domain/src';

export interface RegisteredService {
  topology: ServiceTopology;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * Reads go through the current schema, so topologies stored by an older Sluice get the
 * defaults of fields added since (freeze windows, tiers) instead of surprising callers.
 */
function upcast(stored: unknown): ServiceTopology {
  return serviceTopologySchema.parse(stored);
}

/** Service topologies, stored in PostgreSQL. Validation happens before they get here. */
export class PgServiceCatalog {
  constructor(private readonly pool: Pool) {}

  async register(topology: ServiceTopology): Promise<RegisteredService> {
    const { rows } = await this.pool.query<{ created_at: Date; updated_at: Date }>(
      `INSERT INTO services (name, topology) VALUES ($1, $2)
       ON CONFLICT (name) DO NOTHING RETURNING created_at, updated_at`,
      [topology.name, JSON.stringify(topology)],
    );
    if (rows.length === 0) {
      throw new SluiceError(ErrorCode.AlreadyExists, `service "${topology.name}" is already registered`, {
        service: topology.name,
      });
    }
    return { topology, createdAt: rows[0].created_at, updatedAt: rows[0].updated_at };
  }

  /** Replaces a service's topology. Running rollouts keep the snapshot they started with. */
  async update(topology: ServiceTopology): Promise<RegisteredService> {
    const { rows } = await this.pool.query<{ created_at: Date; updated_at: Date }>(
      `UPDATE services SET topology = $2, updated_at = now() WHERE name = $1 RETURNING created_at, updated_at`,
      [topology.name, JSON.stringify(topology)],
    );
    if (rows.length === 0) {
      throw new SluiceError(ErrorCode.NotFound, `service "${topology.name}" is not registered`, {
        service: topology.name,
      });
    }
    return { topology, createdAt: rows[0].created_at, updatedAt: rows[0].updated_at };
  }

  async find(name: string): Promise<RegisteredService | undefined> {
    const { rows } = await this.pool.query<{ topology: ServiceTopology; created_at: Date; updated_at: Date }>(
      'SELECT topology, created_at, updated_at FROM services WHERE name = $1',
      [name],
    );
    const row = rows[0];
    return row && { topology: upcast(row.topology), createdAt: row.created_at, updatedAt: row.updated_at };
  }

  async get(name: string): Promise<RegisteredService> {
    const found = await this.find(name);
    if (!found) throw new SluiceError(ErrorCode.NotFound, `service "${name}" is not registered`, { service: name });
    return found;
  }

  /** Names of the services whose topology has a region named `region`, by name. */
  async servicesIn(region: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      `SELECT name FROM services
       WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(topology->'regions') r WHERE r->>'name' = $1)
       ORDER BY name`,
      [region],
    );
    return rows.map((r) => r.name);
  }

  async list(): Promise<RegisteredService[]> {
    const { rows } = await this.pool.query<{ topology: ServiceTopology; created_at: Date; updated_at: Date }>(
      'SELECT topology, created_at, updated_at FROM services ORDER BY name',
    );
    return rows.map((row) => ({
      topology: upcast(row.topology),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }
}
