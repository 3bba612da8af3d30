/* The virtio-mmio registers (VIRTIO 1.1 4.2.2) as the device tests' driver
 * side writes them, by offset from the window. */
#ifndef ZV_TESTS_VIRTIO_MMIO_REGS_H
#define ZV_TESTS_VIRTIO_MMIO_REGS_H

#define R_MAGIC        0x000
#define R_VERSION      0x004
#define R_DEVICE_ID    0x008
#define R_VENDOR_ID    0x00c
#define R_DEV_FEAT     0x010
#define R_DEV_FEAT_SEL 0x014
#define R_DRV_FEAT     0x020
#define R_DRV_FEAT_SEL 0x024
#define R_QUEUE_SEL    0x030
#define R_QUEUE_MAX    0x034
#define R_QUEUE_NUM    0x038
#define R_QUEUE_READY  0x044
#define R_NOTIFY       0x050
#define R_INT_STATUS   0x060
#define R_INT_ACK      0x064
#define R_STATUS       0x070
#define R_DESC_LOW     0x080
#define R_DESC_HIGH    0x084
#define R_DRIVER_LOW   0x090
#define R_DRIVER_HIGH  0x094
#define R_DEVICE_LOW   0x0a0
#define R_DEVICE_HIGH  0x0a4
#define R_CONFIG_GEN   0x0fc
#define R_CONFIG       0x100

#endif
