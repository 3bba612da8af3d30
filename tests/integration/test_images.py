"""Issue 18: images in the hypervisor's pool, loaded, listed and removed with zonectl from
the control zone; a workspace a zone changed, exported back to the control zone; and
zones that attack the virtio-blk device over a shared image."""
import gzip
import hashlib
import re

from harness import Boot
from paths import AGENT_IMAGE, AGENT_INITRD, BAD_BLK, DEMO_DISK
from registry import integration_test
from test_control import Session, control_esp, cpio_newc, pool_free, read

# make run's data disk (tools/mkdemodisk) on the AHCI controller passed to the
# control zone, whose /init loads its images/agent.erofs as image `agent`.
DATA_DISK = ("-drive", "file=%s,if=none,id=data,format=raw,snapshot=on" % DEMO_DISK,
             "-device", "ide-hd,drive=data,bus=ide.1")


@integration_test
def test_zonectl_loads_lists_and_removes_images(name):
    with Boot(name, esp=control_esp(name), smp=2, mem=2048, timeout=400) as b:
        s = Session(b)
        before = pool_free(s)
        # random blocks, then zero blocks the store does not allocate
        s.must("dd if=/dev/urandom of=/tmp/Base.Img bs=4096 count=300 2>/dev/null && "
               "dd if=/dev/zero bs=4096 count=200 2>/dev/null >>/tmp/Base.Img && "
               "cp /tmp/Base.Img /tmp/copy.img && "
               "dd if=/dev/urandom bs=1000 count=1 2>/dev/null >>/tmp/copy.img")
        out = s.must("zonectl image load /tmp/Base.Img")
        s.has(out, r"^base sha256:[0-9a-f]{64}$", "image load's digest")
        digest = next(m.group(1) for m in (re.search(r"^base sha256:([0-9a-f]{64})$", l)
                                           for l in out) if m)
        out = s.must("sha256sum /tmp/Base.Img")
        s.has(out, "^%s " % digest, "sha256sum agrees with the hypervisor's digest")
        out = s.must("zonectl image ls")
        s.has(out, r"^base\s+2\.0MiB\s+%s\s+0$" % digest, "image ls")
        out = s.must("zonectl image ls --json")
        s.has(out, r'"name": "base", "size": 2048000, "sha256": "%s", "users": 0, '
              r'"pool_bytes": %d' % (digest, (1 + 2 + 300) * 4096), "image ls --json")
        refused = [
            ("zonectl image load /tmp/Base.Img --name other", r"already loaded as base"),
            ("zonectl image load /tmp/Base.Img", r"an image named base is loaded"),
            ("zonectl image load /tmp/copy.img --name 'Bad!'", r"--name"),
            ("zonectl image rm nosuch", r"no image named nosuch"),
            ("zonectl run --image nosuch -- true", r"no image named nosuch"),
            ("zonectl workspace export nosuch /tmp/out", r"no zone named nosuch"),
        ]
        for command, pattern in refused:
            status, out = s.run(command)
            if status == 0:
                b.fail("`%s` succeeded" % command)
            s.has(out, pattern, command)
        s.must("zonectl image load /tmp/copy.img")  # one byte more: another image
        out = s.must("zonectl image ls")
        s.has(out, r"^copy\s", "a second image")
        s.must("zonectl image rm base")
        s.must("zonectl image rm copy")
        out = s.must("zonectl image ls --json")
        s.has(out, r"^\[\]$", "no image left")
        after = pool_free(s)
        if before != after:
            b.fail("pool free %d bytes before the images, %d after" % (before, after))


@integration_test
def test_workspace_export_unpacks_in_userspace(name):
    """A zone changes its workspace; export brings back its files, modes and symlinks
    through e2fsck and debugfs, with the control zone's kernel mounting nothing."""
    with Boot(name, esp=control_esp(name), smp=2, mem=3072, timeout=400,
              qemu_args=DATA_DISK) as b:
        b.expect(r"^control: image agent loaded", 200)
        s = Session(b)
        s.must("mkdir -p /tmp/ws && echo hi >/tmp/ws/a && chmod 640 /tmp/ws/a")
        out = s.zone_output(
            "zonectl run --name w --image agent --workspace /tmp/ws -- sh -c '"
            "mount | grep workspace; echo more >>/workspace/a; mkdir /workspace/d; "
            "chmod 751 /workspace/d; ln -s a /workspace/l; cp /bin/true /workspace/s; "
            "chmod 4755 /workspace/s; mkfifo /workspace/p'")
        s.has(out, r" on /workspace type ext4 ", "the zone's /workspace")
        s.must("zonectl workspace export w /tmp/out")
        out = s.must("ls /tmp/out; cat /tmp/out/a; readlink /tmp/out/l; "
                     "stat -c '%n %A %U' /tmp/out/a /tmp/out/d /tmp/out/s")
        s.has(out, r"^hi$", "the packed line")
        s.has(out, r"^more$", "the zone's line")
        s.has(out, r"^a$", "the symlink")
        s.has(out, r"^/tmp/out/a -rw-r----- root$", "a's mode")
        s.has(out, r"^/tmp/out/d drwxr-x--x root$", "d's mode")
        s.has(out, r"^/tmp/out/s -rwxr-xr-x root$", "s without its set-user-ID bit")
        if any(line.strip() == "p" for line in out):
            b.fail("the zone's fifo came back:\n" + "\n".join(out))
        # the control zone's kernel mounted nothing of it
        out = s.must("grep -c /tmp/ /proc/mounts", want_status=1)
        s.has(out, r"^0$", "no mount under /tmp")
        status, _ = s.run("zonectl workspace export w /tmp/out")
        if status == 0:
            b.fail("export into a directory that is not empty succeeded")


def cpio_file(archive, path):
    """The bytes of path in a newc archive (concatenated gzip members, as
    tools/mkinitramfs writes), or None."""
    data, at = gzip.decompress(archive), 0
    while data[at:at + 6] == b"070701":
        field = [int(data[at + 6 + 8 * i:at + 14 + 8 * i], 16) for i in range(13)]
        size, namesize = field[6], field[11]
        name = data[at + 110:at + 110 + namesize - 1].decode()
        at = (at + 110 + namesize + 3) & ~3
        if name == path:
            return data[at:at + size]
        at = (at + size + 3) & ~3
        if name == "TRAILER!!!":
            break
    return None


def badblk_initrd():
    """The agent initramfs with zv-badblk, and an /etc/zv/modules without
    virtio_blk: Linux has no driver for the disk, so /init mounts nothing and
    zv-badblk takes the device (zones/virtio/blk.c) at its registers."""
    agent = read(AGENT_INITRD)
    modules = cpio_file(agent, "etc/zv/modules")
    if not modules or b"virtio_blk.ko" not in modules:
        raise RuntimeError("no virtio_blk.ko in %s's etc/zv/modules" % AGENT_INITRD)
    kept = b"".join(l for l in modules.splitlines(True) if b"virtio_blk.ko" not in l)
    return agent + gzip.compress(cpio_newc([("bin/zv-badblk", 0o755, read(BAD_BLK)),
                                            ("etc/zv/modules", 0o644, kept)]), mtime=0)


# zv-badblk's requests and the outcome each must get (tests/integration/zv-badblk.c).
BAD_BLK_OUTCOMES = {
    "good-read": "ok", "get-id": "ok", "seg-max": "ok", "good-read-after": "ok",
    "past-end": "ioerr", "at-end": "ioerr", "sector-overflow": "ioerr", "sector-max": "ioerr",
    "write-read-only": "ioerr", "write-read-only-far": "ioerr", "unknown-type": "unsupp",
    "flush-with-data": "ioerr", "partial-sector": "ioerr", "in-readable-data": "ioerr",
    "out-writable-data": "ioerr", "over-size-max": "ioerr", "data-out-of-zone": "ioerr",
    "data-past-ram": "ioerr", "data-across-ram-end": "ioerr", "data-at-nic": "ioerr",
    "data-at-own-registers": "ioerr", "data-at-lapic": "ioerr",
    "write-from-out-of-zone": "ioerr", "no-data": "ioerr", "over-seg-max": "ioerr",
    "data-wrapping": "reset", "zero-length": "reset", "indirect": "reset",
    "header-writable": "reset", "header-out-of-zone": "reset",
    "readable-after-writable": "reset", "chain-over-64-descriptors": "reset", "loop": "reset",
    "next-out-of-range": "reset", "head-out-of-range": "reset", "avail-index-jump": "reset",
    "rings-out-of-zone": "reset", "rings-at-own-registers": "reset",
    "used-ring-out-of-zone": "reset", "used-ring-at-nic": "reset",
    "rings-misaligned": "not-ready", "queue-size-not-power-of-2": "not-ready",
    "huge-length": "reset", "undefined-flag": "reset", "header-short": "reset",
    "header-at-own-registers": "reset", "no-status": "reset", "status-out-of-zone": "reset",
}

# The hypervisor's line for each of the first 16 refusals (zones/storage/blk.c).
BAD_BLK_REFUSALS = (
    r"a chain too long, or a segment that wraps", r"a zero-length descriptor",
    r"an indirect descriptor or an undefined flag",
    r"a request without a header or a status byte",
    r"a header, status or used ring outside the zone's memory",
    r"a device-readable segment after a writable one",
    r"a chain of more segments than the queue takes", r"a descriptor chain that loops",
    r"a descriptor index past the queue's end",
    r"available index more than the queue size ahead",
    r"a ring or descriptor outside the zone's memory",
)

NEIGHBOUR_PASSES = 4


@integration_test
def test_malformed_block_requests_and_a_flood_stop_only_that_disk_while_a_neighbour_reads(name):
    with open(AGENT_IMAGE, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    esp = control_esp(name, [("lib/zv-test/agent-badblk.cpio", 0o644, badblk_initrd())])
    with Boot(name, esp=esp, smp=4, mem=4096, timeout=600, qemu_args=DATA_DISK) as b:
        s = Session(b)
        b.expect_seen(r"^control: image agent loaded \(sha256:%s\)$" % digest, 60)
        before = pool_free(s)
        # The neighbour reads the whole image, past the page cache, while
        # the attacker sends its requests and floods.
        # Its write to the image fails in the zone (Linux saw VIRTIO_BLK_F_RO).
        s.must("zonectl run -d --name n --image agent -- sh -c 'dd if=/dev/zero of=/dev/vda "
               "bs=512 count=1 conv=notrunc 2>/dev/null && echo neighbour write: done || "
               "echo neighbour write: refused; for i in $(seq %d); do echo neighbour $i "
               "$(dd if=/dev/vda bs=1M iflag=direct status=none | sha256sum); done'"
               % NEIGHBOUR_PASSES)
        # Past the attacker's 256 MiB: the hypervisor's image and the
        # neighbour's memory, at their host addresses.
        hv = b.expect_seen(r"^  hypervisor image at (0x[0-9a-f]+), ").group(1)
        neighbour = b.expect_seen(r"^zone n: memory at host (0x[0-9a-f]+)-").group(1)
        for at in (hv, neighbour):
            if int(at, 16) < 256 << 20:
                b.fail("%s is inside the attacker's memory: pick another address" % at)
        s.must("zonectl run -d --name a --image agent --initrd /lib/zv-test/agent-badblk.cpio "
               "-- sh -c 'zv-badblk %s %s; zv-badblk --flood-bad 5; zv-badblk --flood'"
               % (hv, neighbour))
        s.must("i=0; until zonectl logs a | grep -q '^flood: reads running$'; do i=$((i+1)); "
               "[ $i -lt 120 ] || break; sleep 1; done; zonectl logs a | tail -3; "
               "zonectl logs a | grep -q '^flood: reads running$'", timeout=150)
        s.must("zonectl logs -f n >/tmp/n.log", timeout=400)
        out = s.must("cat /tmp/n.log")
        s.has(out, r"^neighbour write: refused$", "the neighbour's write to the image")
        for i in range(1, NEIGHBOUR_PASSES + 1):
            s.has(out, r"^neighbour %d %s -$" % (i, digest), "the neighbour's pass %d" % i)
        out = s.must("zonectl ps")
        s.has(out, r"^a\s+running\s", "the attacker, still flooding its disk")
        s.must("zonectl stop a")
        s.must("zonectl logs a >/tmp/a.log")
        out = s.must("cat /tmp/a.log")
        outcomes = dict(BAD_BLK_OUTCOMES)
        for at in (hv, neighbour):
            outcomes.update({"data-at-" + at: "ioerr", "write-from-" + at: "ioerr",
                             "header-at-" + at: "reset"})
        for request, want in outcomes.items():
            s.has(out, r"^request %s: %s \(expected %s\)$" % (request, want, want), request)
        s.has(out, r"^disk: \d+ sectors, size_max 16384, seg_max 62, read-only$", "the disk")
        s.has(out, r"^good-read data: erofs superblock$", "sector 0 read")
        s.has(out, r"^get-id data: zv-image$", "the disk's serial")
        s.has(out, r"^good-read-after data: as before$", "sector 0 after it all")
        s.has(out, r"^zv-badblk: 0 failures$", "zv-badblk")
        s.has(out, r"^flood: \d+ malformed chains, device asking for a reset$", "--flood-bad")
        s.has(out, r"^flood: 1000 reads answered$", "--flood")
        for why in BAD_BLK_REFUSALS:
            b.expect_seen(r"^zone a: disk zv-image refused %s; the device needs a reset$" % why)
        b.expect_seen(r"^zone a: wiped \d+ bytes$", 60)  # before its record can go
        s.must("zonectl rm n")
        s.must("zonectl rm a")
        after = pool_free(s)
        if before != after:
            b.fail("pool free %d bytes before the zones, %d after" % (before, after))
