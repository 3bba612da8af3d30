"""Where the build puts what the integration tests boot and run: one place,
so a file that moves in the Makefile is one edit here."""
import os

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(TOP, "tools")  # zv-qemu and zv-bochs boot an ESP
HERE = os.path.join(TOP, "tests", "integration")  # scripts the tests run or pack
RUN_UNDER_QEMU = os.path.join(TOP, "tests", "guests", "run-under-qemu")

BUILD = os.path.join(TOP, "build")
ESP = os.path.join(BUILD, "esp")  # make all
TEST_ESPS = os.path.join(BUILD, "test-esp")  # one copy of ESP per test (harness.make_esp)
LOGS = os.path.join(BUILD, "test-logs")  # one serial log per boot
GUESTS = os.path.join(BUILD, "guests")  # the test guests, ELF with a Multiboot header

LINUX = os.path.join(BUILD, "linux")  # make kernel (tools/fetch-kernel)
KERNEL = os.path.join(LINUX, "vmlinuz")
KERNEL_VERSION = os.path.join(LINUX, "version")
AGENT_INITRD = os.path.join(BUILD, "initramfs", "agent.cpio.gz")  # make initramfs
CONTROL_INITRD = os.path.join(BUILD, "initramfs", "control.cpio.gz")
ZONECTL = os.path.join(BUILD, "zonectl", "zonectl")
DEMO_DISK = os.path.join(BUILD, "demo", "data.ext4")  # make demodisk: the agent image
BAD_VIRTIO = os.path.join(BUILD, "zv-test", "zv-badvirtio")  # make: $(TEST_TOOLS)
BAD_BLK = os.path.join(BUILD, "zv-test", "zv-badblk")
ZV_VSOCK = os.path.join(BUILD, "zv-test", "zv-vsock")
AGENT_IMAGE = os.path.join(BUILD, "images", "agent.erofs")  # make images (tools/mkimage)

NET_CHECK = os.path.join(HERE, "net-check.sh")
UPLINK_NFT_CHECK = os.path.join(HERE, "uplink-nft-check.sh")


def guest(name):
    """The test guest build/guests/NAME.elf."""
    return os.path.join(GUESTS, name + ".elf")


def kernel_release():
    """The Debian kernel's release string, as `uname -r` prints it in a zone."""
    with open(KERNEL_VERSION) as f:
        return f.read().split()[0]


def kernel_module(path):
    """A module of the Debian kernel, path relative to its kernel/ folder."""
    return os.path.join(LINUX, "root", "lib", "modules", kernel_release(), "kernel", path)
