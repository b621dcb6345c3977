/* virtio.c: virtio-net, the image's network card, through either legacy transport.
 *
 *   - virtio-mmio version 1 (legacy), QEMU's microvm (`-device virtio-net-device`): the
 *     devices sit in 0x200-byte slots from 0xfeb00000, which QEMU does not announce on a
 *     PVH command line, so every slot is probed for the magic "virt" and device ID 1.
 *   - legacy virtio-pci (`-device virtio-net-pci` on q35 or pc, a transitional device,
 *     PCI ID 1af4:1000): its registers are in the I/O space of BAR 0.
 *
 * Either way the device has two split virtqueues, 0 receiving and 1 transmitting, laid
 * out as legacy virtio lays them out (descriptors, the available ring, and the used ring
 * on the next 4 KiB boundary) in pages of the image's memory, which are their own
 * physical addresses (boot.S maps memory one to one). Only VIRTIO_NET_F_MAC is
 * negotiated: no offloads, so every frame carries a 10-byte header of zeros.
 *
 * Nothing interrupts: the device is asked not to (VRING_AVAIL_F_NO_INTERRUPT), and
 * received frames are found by looking at the used ring. Receiving hands out a frame in
 * place, in its buffer, and gives the buffer back to the device at the next call;
 * sending copies the frame into one of the transmit buffers (a header descriptor chained
 * to a data descriptor), taking back the buffers the device has finished with first, and
 * notifies the device only when it has not said it needs no notice (VRING_USED_F_NO_NOTIFY).
 */
#include "image/image.h"

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_NET_ID 1
#define MMIO_BASE 0xfeb00000u
#define MMIO_SLOT 0x200u
#define MMIO_SLOTS 32
#define MMIO_MAGIC_VALUE 0x74726976u /* "virt" */

/* legacy virtio-mmio registers */
#define MMIO_MAGIC 0x000
#define MMIO_VERSION 0x004
#define MMIO_DEVICE_ID 0x008
#define MMIO_HOST_FEATURES 0x010
#define MMIO_HOST_FEATURES_SEL 0x014
#define MMIO_GUEST_FEATURES 0x020
#define MMIO_GUEST_FEATURES_SEL 0x024
#define MMIO_GUEST_PAGE_SIZE 0x028
#define MMIO_QUEUE_SEL 0x030
#define MMIO_QUEUE_NUM_MAX 0x034
#define MMIO_QUEUE_NUM 0x038
#define MMIO_QUEUE_ALIGN 0x03c
#define MMIO_QUEUE_PFN 0x040
#define MMIO_QUEUE_NOTIFY 0x050
#define MMIO_STATUS 0x070
#define MMIO_CONFIG 0x100

/* legacy virtio-pci registers, in BAR 0's I/O space (MSI-X off) */
#define PCI_HOST_FEATURES 0x00
#define PCI_GUEST_FEATURES 0x04
#define PCI_QUEUE_PFN 0x08
#define PCI_QUEUE_SIZE 0x0c
#define PCI_QUEUE_SEL 0x0e
#define PCI_QUEUE_NOTIFY 0x10
#define PCI_STATUS 0x12
#define PCI_CONFIG 0x14

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FAILED 128
#define VIRTIO_NET_F_MAC (1u << 5)

#define DESC_F_NEXT 1
#define DESC_F_WRITE 2
#define AVAIL_F_NO_INTERRUPT 1
#define USED_F_NO_NOTIFY 1

#define QUEUE_MAX 256
#define NET_HEADER 10
#define BUFFER 2048
#define ALIGN 4096u

typedef struct {
    uint64_t address;
    uint32_t length;
    uint16_t flags, next;
} descriptor;

typedef struct {
    uint16_t flags, index;
    uint16_t ring[];
} available;

typedef struct {
    uint32_t id, length;
} used_element;

typedef struct {
    uint16_t flags, index;
    used_element ring[];
} used;

typedef struct queue {
    uint16_t size, number;
    descriptor *descriptors;
    volatile available *available;
    volatile used *used;
    uint16_t last_used;
    uint8_t *buffers; /* size buffers (receive) or size / 2 (transmit), BUFFER bytes each */
} queue;

struct cl_virtio_net {
    bool is_pci;
    uintptr_t mmio;
    uint16_t io;
    uint8_t mac[6];
    queue rx, tx;
    int held;               /* the receive buffer handed out last, or -1 */
    uint16_t free_tx[QUEUE_MAX / 2];
    int free_tx_count;
};

static cl_virtio_net devices[4];
static int device_count;

/* ---- the transport ---- */

static uint32_t read_features(cl_virtio_net *n) {
    if (n->is_pci) return cl_inl((uint16_t)(n->io + PCI_HOST_FEATURES));
    cl_mmio_write32(n->mmio + MMIO_HOST_FEATURES_SEL, 0);
    return cl_mmio_read32(n->mmio + MMIO_HOST_FEATURES);
}

static void write_features(cl_virtio_net *n, uint32_t features) {
    if (n->is_pci) {
        cl_outl((uint16_t)(n->io + PCI_GUEST_FEATURES), features);
    } else {
        cl_mmio_write32(n->mmio + MMIO_GUEST_FEATURES_SEL, 0);
        cl_mmio_write32(n->mmio + MMIO_GUEST_FEATURES, features);
    }
}

static uint8_t read_status(cl_virtio_net *n) {
    return n->is_pci ? cl_inb((uint16_t)(n->io + PCI_STATUS)) : (uint8_t)cl_mmio_read32(n->mmio + MMIO_STATUS);
}

static void write_status(cl_virtio_net *n, uint8_t status) {
    if (n->is_pci) cl_outb((uint16_t)(n->io + PCI_STATUS), status);
    else cl_mmio_write32(n->mmio + MMIO_STATUS, status);
}

static uint8_t read_config(cl_virtio_net *n, int offset) {
    if (n->is_pci) return cl_inb((uint16_t)(n->io + PCI_CONFIG + offset));
    return *(volatile uint8_t *)(n->mmio + MMIO_CONFIG + (uintptr_t)offset);
}

static void notify(cl_virtio_net *n, uint16_t queue_number) {
    if (n->is_pci) cl_outw((uint16_t)(n->io + PCI_QUEUE_NOTIFY), queue_number);
    else cl_mmio_write32(n->mmio + MMIO_QUEUE_NOTIFY, queue_number);
}

/* Select a queue and give it memory: its size (the device's own for PCI; at most QUEUE_MAX
 * for mmio), NULL on failure. */
static const char *set_up_queue(cl_virtio_net *n, queue *q, uint16_t number) {
    uint32_t size;
    if (n->is_pci) {
        cl_outw((uint16_t)(n->io + PCI_QUEUE_SEL), number);
        size = cl_inw((uint16_t)(n->io + PCI_QUEUE_SIZE));
        if (size > QUEUE_MAX) return "its queues are larger than 256 (legacy PCI cannot make them smaller)";
    } else {
        cl_mmio_write32(n->mmio + MMIO_QUEUE_SEL, number);
        if (cl_mmio_read32(n->mmio + MMIO_QUEUE_PFN) != 0) return "a queue is already in use";
        size = cl_mmio_read32(n->mmio + MMIO_QUEUE_NUM_MAX);
        if (size > QUEUE_MAX) size = QUEUE_MAX;
    }
    if (size < 2 || (size & (size - 1))) return "a queue's size is not a power of two";
    size_t ring_bytes = 16 * size + 6 + 2 * size;
    size_t used_at = (ring_bytes + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    size_t total = used_at + ((6 + 8 * size + ALIGN - 1) & ~(size_t)(ALIGN - 1));
    uint8_t *memory = cl_pages_alloc(total / ALIGN);
    size_t buffers = number == 0 ? size : size / 2;
    uint8_t *data = cl_pages_alloc(buffers * BUFFER / ALIGN);
    if (!memory || !data) return "no memory for its queues";
    memset(memory, 0, total);
    memset(data, 0, buffers * BUFFER);
    q->size = (uint16_t)size;
    q->number = number;
    q->descriptors = (descriptor *)memory;
    q->available = (volatile available *)(memory + 16 * size);
    q->used = (volatile used *)(memory + used_at);
    q->buffers = data;
    q->last_used = 0;
    q->available->flags = AVAIL_F_NO_INTERRUPT;
    if (n->is_pci) {
        cl_outl((uint16_t)(n->io + PCI_QUEUE_PFN), (uint32_t)((uintptr_t)memory / ALIGN));
    } else {
        cl_mmio_write32(n->mmio + MMIO_QUEUE_NUM, size);
        cl_mmio_write32(n->mmio + MMIO_QUEUE_ALIGN, ALIGN);
        cl_mmio_write32(n->mmio + MMIO_QUEUE_PFN, (uint32_t)((uintptr_t)memory / ALIGN));
    }
    return NULL;
}

static const char *start(cl_virtio_net *n) {
    write_status(n, 0); /* reset */
    write_status(n, STATUS_ACKNOWLEDGE);
    write_status(n, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    uint32_t offered = read_features(n);
    write_features(n, offered & VIRTIO_NET_F_MAC);
    if (!n->is_pci) cl_mmio_write32(n->mmio + MMIO_GUEST_PAGE_SIZE, ALIGN);
    const char *why = set_up_queue(n, &n->rx, 0);
    if (!why) why = set_up_queue(n, &n->tx, 1);
    if (why) {
        write_status(n, STATUS_FAILED);
        return why;
    }
    if (offered & VIRTIO_NET_F_MAC) {
        for (int i = 0; i < 6; i++) n->mac[i] = read_config(n, i);
    } else {
        static const uint8_t fallback[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
        memcpy(n->mac, fallback, 6);
    }
    /* Every receive buffer to the device. */
    for (uint16_t i = 0; i < n->rx.size; i++) {
        n->rx.descriptors[i] = (descriptor){(uintptr_t)(n->rx.buffers + (size_t)i * BUFFER), BUFFER, DESC_F_WRITE, 0};
        n->rx.available->ring[i] = i;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    n->rx.available->index = n->rx.size;
    /* Transmit slots: descriptor 2s (the header) chained to 2s + 1 (the frame). */
    n->free_tx_count = 0;
    for (uint16_t s = 0; s < n->tx.size / 2; s++) {
        uint8_t *buffer = n->tx.buffers + (size_t)s * BUFFER;
        n->tx.descriptors[2 * s] = (descriptor){(uintptr_t)buffer, NET_HEADER, DESC_F_NEXT, (uint16_t)(2 * s + 1)};
        n->tx.descriptors[2 * s + 1] = (descriptor){(uintptr_t)(buffer + NET_HEADER), 0, 0, 0};
        n->free_tx[n->free_tx_count++] = s;
    }
    n->held = -1;
    write_status(n, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK);
    if (read_status(n) & STATUS_FAILED) return "the device refused the driver";
    notify(n, 0);
    return NULL;
}

cl_virtio_net *cl_virtio_net_open(int index, const char **why) {
    if (device_count == (int)(sizeof devices / sizeof devices[0])) {
        *why = "too many virtio-net devices are open";
        return NULL;
    }
    cl_virtio_net *n = &devices[device_count];
    memset(n, 0, sizeof *n);
    bool found = false;
    static const uint16_t ids[] = {0x1000}; /* transitional virtio-net */
    cl_pci_device d;
    if (cl_pci_present()) {
        /* q35, pc: legacy virtio-pci. */
        if (cl_pci_find(VIRTIO_VENDOR, ids, 1, index, &d)) {
            uint32_t bar0 = cl_pci_read32(&d, 0x10);
            if (!(bar0 & 1)) {
                *why = "its virtio-net-pci device has no legacy I/O BAR (use disable-legacy=off)";
                return NULL;
            }
            n->is_pci = true;
            n->io = (uint16_t)(bar0 & ~3u);
            cl_pci_write16(&d, 0x04, (uint16_t)(cl_pci_read32(&d, 0x04) | 0x5)); /* I/O space, bus master */
            found = true;
        }
    } else {
        /* microvm: the virtio-mmio slots, in order. */
        int seen = 0;
        for (int slot = 0; slot < MMIO_SLOTS && !found; slot++) {
            uintptr_t base = MMIO_BASE + (uintptr_t)slot * MMIO_SLOT;
            if (cl_mmio_read32(base + MMIO_MAGIC) != MMIO_MAGIC_VALUE) continue;
            if (cl_mmio_read32(base + MMIO_DEVICE_ID) != VIRTIO_NET_ID) continue;
            if (seen++ != index) continue;
            if (cl_mmio_read32(base + MMIO_VERSION) != 1) {
                *why = "its virtio-mmio device is not legacy (version 1); run QEMU without force-legacy=false";
                return NULL;
            }
            n->mmio = base;
            found = true;
        }
    }
    if (!found) {
        *why = index == 0 ? "no virtio-net device (QEMU: -device virtio-net-device on microvm, virtio-net-pci on q35 or pc)"
                          : "fewer virtio-net devices than --netif asks for";
        return NULL;
    }
    if ((*why = start(n)) != NULL) return NULL;
    device_count++;
    return n;
}

void cl_virtio_net_mac(const cl_virtio_net *n, uint8_t mac[6]) { memcpy(mac, n->mac, 6); }

const char *cl_virtio_net_transport(const cl_virtio_net *n) { return n->is_pci ? "virtio-pci" : "virtio-mmio"; }

static void give_back(cl_virtio_net *n, uint16_t id) {
    queue *q = &n->rx;
    q->available->ring[q->available->index & (q->size - 1)] = id;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    q->available->index++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!(q->used->flags & USED_F_NO_NOTIFY)) notify(n, 0);
}

bool cl_virtio_net_pending(const cl_virtio_net *n) { return n->rx.used->index != n->rx.last_used; }

int cl_virtio_net_receive(cl_virtio_net *n, const uint8_t **frame, size_t *length) {
    if (n->held >= 0) {
        give_back(n, (uint16_t)n->held);
        n->held = -1;
    }
    queue *q = &n->rx;
    for (;;) {
        if (q->used->index == q->last_used) return 0;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        used_element e = q->used->ring[q->last_used & (q->size - 1)];
        q->last_used++;
        if (e.id >= q->size) continue; /* a device that misbehaves: ignore the element */
        if (e.length <= NET_HEADER || e.length > BUFFER) {
            give_back(n, (uint16_t)e.id);
            cl_count(CL_COUNT_MALFORMED, 1);
            continue;
        }
        n->held = (int)e.id;
        *frame = q->buffers + (size_t)e.id * BUFFER + NET_HEADER;
        *length = e.length - NET_HEADER;
        return 1;
    }
}

static void reclaim(cl_virtio_net *n) {
    queue *q = &n->tx;
    while (q->used->index != q->last_used) {
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint32_t id = q->used->ring[q->last_used & (q->size - 1)].id;
        q->last_used++;
        if (id < q->size && !(id & 1) && n->free_tx_count < q->size / 2) n->free_tx[n->free_tx_count++] = (uint16_t)(id / 2);
    }
}

bool cl_virtio_net_send(cl_virtio_net *n, const uint8_t *frame, size_t length) {
    if (length > BUFFER - NET_HEADER) return false;
    reclaim(n);
    uint64_t deadline = cl_clock_ns() + 100000000u; /* 100 ms for the device to free a slot */
    while (n->free_tx_count == 0) {
        if (cl_clock_ns() > deadline) return false;
        cl_cpu_relax();
        reclaim(n);
    }
    queue *q = &n->tx;
    uint16_t s = n->free_tx[--n->free_tx_count];
    uint8_t *buffer = q->buffers + (size_t)s * BUFFER;
    memset(buffer, 0, NET_HEADER);
    memcpy(buffer + NET_HEADER, frame, length);
    q->descriptors[2 * s + 1].length = (uint32_t)length;
    q->available->ring[q->available->index & (q->size - 1)] = (uint16_t)(2 * s);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    q->available->index++;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!(q->used->flags & USED_F_NO_NOTIFY)) notify(n, 1);
    return true;
}
