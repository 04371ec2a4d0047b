import { condenseMountMessage } from '../../lib/copy-status.ts';

describe("a kubelet's mount failure, as GET tells it", () => {
  it("keeps one line: what failed and the mount command's own error, without the node's folders", () => {
    const kubelet = [
      'MountVolume.SetUp failed for volume "pv-x" : mount failed: exit status 32',
      'Mounting command: mount',
      'Mounting arguments: -t nfs 10.0.0.2:/exports/moop/tenant-real/nfs /var/lib/kubelet/pods/95283bcb/volumes/kubernetes.io~nfs/pv-x',
      "Output: mount: /var/lib/kubelet/pods/95283bcb/volumes/kubernetes.io~nfs/pv-x: unknown filesystem type 'nfs'.",
      '       dmesg(1) may have more information after failed mount system call.',
      '',
    ].join('\n');

    expect(condenseMountMessage(kubelet)).toBe('MountVolume.SetUp failed for volume "pv-x" : mount failed: exit status 32: unknown filesystem type \'nfs\'.');
  });

  it('leaves a one-line message as it is', () => {
    expect(condenseMountMessage('MountVolume.SetUp failed for volume "v" : mount failed: exit status 32')).toBe(
      'MountVolume.SetUp failed for volume "v" : mount failed: exit status 32',
    );
  });

  it('keeps the first line where there is no mount output to read', () => {
    expect(condenseMountMessage('Unable to attach or mount volumes: unmounted volumes=[data]\nmore detail')).toBe(
      'Unable to attach or mount volumes: unmounted volumes=[data]',
    );
  });
});
