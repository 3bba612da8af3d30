"""Issue 18: agent zones run Debian from the shared agent image with a workspace that
comes back, as make run's README session does: the control zone loads the image from
its data disk at boot (tools/mkdemodisk, tools/initramfs/control-init).  Issue 19's
sessions (tests/integration/session_checks.py) share the boot: they need the image."""
import hashlib
import os
import re
import shutil
import subprocess
import time

from harness import Boot
from paths import AGENT_IMAGE, BUILD, TOOLS
from registry import integration_test
from session_checks import (check_no_secret_in_logs, check_secrets, check_terminal,
                            write_secrets)
from test_control import CONF, Session, control_esp, pool_free
from test_images import DATA_DISK

ZONE_MEM = 256 << 20
# The control zone's agent_image: zonectl run gives a zone this image when it names none.
IMAGE_CONF = CONF.replace("[zonevisor]\n", "[zonevisor]\nagent_image = agent\n", 1)


def oci_image(name):
    """An agent image made by tools/mkimage --from-oci from an OCI layout built here
    with umoci: busybox and one file, no Debian."""
    work = os.path.join(BUILD, "test-oci", name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    layout, bundle = os.path.join(work, "layout"), os.path.join(work, "bundle")

    def run(*cmd):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    run("umoci", "init", "--layout", layout)
    run("umoci", "new", "--image", layout + ":t")
    run("umoci", "unpack", "--image", layout + ":t", bundle)
    root = os.path.join(bundle, "rootfs")
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    shutil.copy(os.path.join(BUILD, "initramfs", "busybox-root", "bin", "busybox"),
                os.path.join(root, "bin", "busybox"))
    os.symlink("busybox", os.path.join(root, "bin", "sh"))
    with open(os.path.join(root, "etc", "hello"), "w") as f:
        f.write("hello from an OCI image\n")
    run("umoci", "repack", "--image", layout + ":t", bundle)
    out = os.path.join(work, "oci.erofs")
    run(os.path.join(TOOLS, "mkimage"), "--from-oci", layout, "--out", out)
    return out


def image_esp(name):
    esp = control_esp(name)
    image_esp.secrets = write_secrets(esp)
    with open(esp + "/zonevisor/zonevisor.conf", "w") as f:
        f.write(IMAGE_CONF)
    shutil.copy(oci_image(name), os.path.join(esp, "zonevisor", "oci.erofs"))
    return esp


def check_oci_image(b, s):
    """Any container image can be an agent image (tools/mkimage --from-oci)."""
    s.must("mkdir -p /mnt/esp && mount -t vfat -o ro /dev/sda1 /mnt/esp")
    s.must("zonectl image load --name oci /mnt/esp/zonevisor/oci.erofs", timeout=180)
    out = s.zone_output("zonectl run --rm --image oci -- cat /etc/hello", timeout=300)
    s.has(out, r"^hello from an OCI image$", "a zone on the OCI image")
    s.must("zonectl image rm oci && umount /mnt/esp")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_readme_session(b, s):
    """The README's command: Debian's git, Python and Node.js on the workspace."""
    out = s.zone_output("zonectl run --rm --workspace /root/demo -- sh -c 'cd /workspace && "
                        "git log --oneline | head -3 && python3 --version && node --version'",
                        timeout=300)
    s.has(out, r"^[0-9a-f]{7} greet\.js: the same in node$", "git log in the workspace")
    s.has(out, r"^[0-9a-f]{7} Start the demo project$", "git log's third commit")
    s.has(out, r"^Python 3\.11\.\d+$", "python3 --version")
    s.has(out, r"^v18\.\d+\.\d+$", "node --version")


def vda_reads(s, name):
    """Zone name's image disk's reads in zonectl ps --json ("disks"), or None."""
    for line in s.must("zonectl ps --json"):
        if '"name": "%s"' % name in line:
            m = re.search(r'"disks": \[\{"serial": "zv-image", "size": \d+, '
                          r'"read_only": true, "reads": (\d+), "writes": 0, ', line)
            return int(m.group(1)) if m else None
    return None


def check_disk_counters(b, s, name):
    """ps --json shows the zone's vda being read, and keeps the figures once it stopped."""
    deadline = time.time() + 120
    while not vda_reads(s, name) and time.time() < deadline:
        time.sleep(2)
    return vda_reads(s, name) or b.fail("zonectl ps --json shows no reads of %s's vda" % name)


def check_one_copy(b, s):
    """Zones share the image: a second zone costs its RAM and overhead, no copy."""
    free0 = pool_free(s)
    s.must("zonectl run -d --name z1 -- sleep 600")
    free1 = pool_free(s)
    s.must("zonectl run -d --name z2 -- sleep 600")
    free2 = pool_free(s)
    for taken, which in ((free0 - free1, "first"), (free1 - free2, "second")):
        if not 0 < taken - ZONE_MEM < (1 << 20):
            b.fail("the %s zone on the image took %d bytes beyond its RAM (an image copy "
                   "would be %d)" % (which, taken - ZONE_MEM, os.path.getsize(AGENT_IMAGE)))
    out = s.must("zonectl image ls")
    s.has(out, r"^agent\s+\S+\s+[0-9a-f]{64}\s+2$", "image ls: two users")
    status, out = s.run("zonectl image rm agent")
    if status == 0:
        b.fail("image rm succeeded while two zones use the image")
    s.has(out, r"is used by 2 zones", "image rm refused while used")
    reads = check_disk_counters(b, s, "z1")
    s.must("zonectl stop z1; zonectl stop z2")
    b.expect_seen(r"zone z2: wiped \d+ bytes$", 60)
    b.expect_seen(r"zone z1: wiped \d+ bytes$", 60)
    if (vda_reads(s, "z1") or 0) < reads:
        b.fail("z1's vda reads in ps --json went from %d to %s once it stopped"
               % (reads, vda_reads(s, "z1")))
    s.must("zonectl rm z1; zonectl rm z2")
    if pool_free(s) != free0:
        b.fail("the pool did not return to %d bytes after the two zones" % free0)


def check_workspace_export(b, s):
    """A commit made in the zone's workspace comes back with workspace export."""
    free0 = pool_free(s)
    out = s.zone_output(
        "zonectl run --name w --workspace /root/demo -- sh -c 'cd /workspace && "
        "echo \"a change from the zone\" >>README.md && git -c user.name=agent "
        "-c user.email=agent@zone.invalid commit -qam \"agent: a change\" && "
        "git log --oneline | head -1'", timeout=300)
    s.has(out, r"^[0-9a-f]{7} agent: a change$", "the commit in the zone")
    s.must("zonectl workspace export w /root/out", timeout=180)
    out = s.must("git -C /root/out -c safe.directory=/root/out --no-pager log --oneline | "
                 "head -2")
    s.has(out, r"^[0-9a-f]{7} agent: a change$", "the zone's commit in the export")
    s.has(out, r"^[0-9a-f]{7} greet\.js: the same in node$", "history kept in the export")
    out = s.must("tail -n 1 /root/out/README.md")
    s.has(out, r"^a change from the zone$", "the zone's edit in the export")
    out = s.must("git -C /root/demo -c safe.directory=/root/demo --no-pager log --oneline | "
                 "head -1")
    s.has(out, r"greet\.js: the same in node$", "the control zone's copy untouched")
    s.must("zonectl rm w")
    s.must("zonectl workspace export w /root/out2", want_status=1)
    if pool_free(s) != free0:
        b.fail("the pool did not return to %d bytes after rm of the workspace zone" % free0)


def check_overlay_and_limits(b, s):
    """Writes outside the workspace vanish with the zone; a full workspace is ENOSPC in
    the zone; --image none is the busybox initramfs."""
    out = s.zone_output("zonectl run --rm -- sh -c 'echo kept >/usr/zv-written && "
                        "cat /usr/zv-written'", timeout=300)
    s.has(out, r"^kept$", "a write to the image's overlay")
    s.zone_output("zonectl run --rm -- test ! -e /usr/zv-written", timeout=300)
    s.must("mkdir -p /tmp/small")
    out = s.zone_output("zonectl run --rm --workspace /tmp/small --workspace-size 16M -- "
                        "sh -c 'dd if=/dev/urandom of=/workspace/big bs=1M count=32 2>&1; "
                        "echo dd=$?'", timeout=300)
    s.has(out, r"No space left on device", "a workspace written past its size")
    s.has(out, r"^dd=1$", "dd's status on a full workspace")
    status, out = s.run("zonectl run --rm --workspace /tmp/small --workspace-size 60G -- true")
    if status == 0:
        b.fail("a workspace larger than the pool was accepted")
    s.has(out, r"larger than the pool", "a workspace larger than the pool")
    out = s.zone_output("zonectl run --rm --image none -- sh -c 'test -x /usr/bin/python3 "
                        "|| echo no python here'")
    s.has(out, r"^no python here$", "--image none boots the initramfs alone")


def check_bad_images(b, s):
    """A corrupted image stops only the zone that mounts it; one larger than the pool is
    refused up front."""
    s.must("dd if=/dev/urandom of=/tmp/junk.erofs bs=64k count=16 2>/dev/null")
    s.must("zonectl image load --name junk /tmp/junk.erofs")
    out = s.zone_output("zonectl run --rm --image junk -- true", want_status=125,
                        timeout=300)
    s.has(out, r"init: .*image", "a corrupted image's error in the zone")
    s.must("zonectl image rm junk")
    # A load cut off midway (zonectl killed between two chunks) is dropped by
    # the next load, and its pages return.
    free0 = pool_free(s)
    s.run("timeout -s KILL 3 zonectl image load --name cut /var/lib/zonevisor/images/agent.erofs")
    out = s.must("zonectl image ls")
    if any(re.match(r"cut\s", line) for line in out):
        b.fail("a cut-off load is listed:\n" + "\n".join(out))
    s.must("zonectl image load --name small /tmp/junk.erofs")
    s.must("zonectl image rm small")
    if pool_free(s) != free0:
        b.fail("the pool is at %d bytes after a cut-off load, not %d" % (pool_free(s), free0))
    s.must("truncate -s 64G /tmp/huge.img")
    status, out = s.run("zonectl image load /tmp/huge.img")
    if status == 0:
        b.fail("an image larger than the pool was loaded")
    s.has(out, r"pool", "an image larger than the pool")


@integration_test
def test_agent_zones_run_debian_from_one_shared_image_with_a_workspace_that_comes_back(name):
    digest = sha256_file(AGENT_IMAGE)
    with Boot(name, esp=image_esp(name), smp=4, mem=4096, timeout=1500,
              qemu_args=DATA_DISK) as b:
        b.expect(r"^control: data disk mounted at /var/lib/zonevisor$", 180)
        m = b.expect(r"^control: image agent loaded \(sha256:([0-9a-f]{64})\)$", 600)
        if m.group(1) != digest:
            b.fail("the hypervisor's digest %s is not sha256sum's %s" % (m.group(1), digest))
        s = Session(b)
        check_readme_session(b, s)
        check_one_copy(b, s)
        check_workspace_export(b, s)
        check_overlay_and_limits(b, s)
        check_bad_images(b, s)
        check_oci_image(b, s)
        check_terminal(b, s)
        check_secrets(b, s, image_esp.secrets)
    check_no_secret_in_logs(b, image_esp.secrets)
