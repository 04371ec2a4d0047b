// The real node's kubelet is built from its own Go module (tools/node/kubelet) so that the control plane's cache is not
// rebuilt for it; both must pin one Kubernetes, every k8s.io module at the same version.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const k8sPins = (goMod: string): Record<string, string> =>
  Object.fromEntries(
    [
      ...readFileSync(join(root, goMod), 'utf8').matchAll(
        /^\s*(k8s\.io\/[\w./-]+)\s+=>\s+(k8s\.io\/[\w./-]+)\s+(v\S+)/gm,
      ),
    ].map((m) => [m[1]!, m[3]!]),
  );
const kubernetes = (goMod: string): string | undefined =>
  /^\s*k8s\.io\/kubernetes\s+(v\S+)/m.exec(readFileSync(join(root, goMod), 'utf8'))?.[1];

it("builds the real node's kubelet from the control plane's Kubernetes, every k8s.io module pinned alike", () => {
  const plane = 'tools/controlplane/kubernetes/go.mod';
  const node = 'tools/node/kubelet/go.mod';
  expect(kubernetes(node)).toBe(kubernetes(plane));
  const [planePins, nodePins] = [k8sPins(plane), k8sPins(node)];
  expect(Object.keys(planePins).length).toBeGreaterThan(20);
  for (const [module, version] of Object.entries(nodePins))
    expect([module, version]).toEqual([module, planePins[module]]);
});
