import { etcdInstalled, REQUIRE_TARGETS } from './etcd-server';

export { REQUIRE_TARGETS, startEtcd, startEtcdWithAuth, type EtcdServer } from './etcd-server';

/**
 * `describe` for a suite that needs a real etcd. Without the binary and without
 * SLUICE_REQUIRE_TARGETS, the suite is skipped with one line saying why and how to install it;
 * with the variable set (CI) it runs, and fails on the missing binary.
 */
export function describeWithEtcd(name: string, body: () => void): void {
  if (etcdInstalled() || process.env[REQUIRE_TARGETS]) return describe(name, body);
  process.stderr.write(
    `[targets] skipping "${name}": etcd not installed (Debian: apt-get install etcd-server; or set SLUICE_ETCD_BIN; ${REQUIRE_TARGETS}=1 makes this a failure)\n`,
  );
  describe.skip(name, body);
}
