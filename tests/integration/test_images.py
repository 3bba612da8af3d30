"""Issue 18: images in the hypervisor's pool, loaded, listed and removed with zonectl from
the control zone; a workspace a zone changed, exported back to the control zone."""
import re

from harness import Boot
from paths import DEMO_DISK
from registry import integration_test
from test_control import Session, control_esp, pool_free


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


# make demodisk's data disk on the AHCI port after the ESP's, as make run attaches it
# (snapshot=on: the zone's changes never reach the build's copy).
DATA_DISK = ("-drive", "file=%s,if=none,id=data,format=raw,snapshot=on" % DEMO_DISK,
             "-device", "ide-hd,drive=data,bus=ide.1")


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
