/* pci.c: PCI configuration space through the legacy ports 0xcf8 (address) and 0xcfc
 * (data), as on QEMU's q35 and pc machines. The firmware (SeaBIOS, which runs before a
 * PVH kernel on those machines) has already given every device its BARs. */
#include "image/image.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
/* The root bus only: QEMU puts -device ... there unless told otherwise (bus=), and each slot
 * read is a trap to the hypervisor. */
#define BUSES 1

static uint32_t address(uint8_t bus, uint8_t slot, uint8_t function, uint8_t offset) {
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)slot << 11 | (uint32_t)function << 8 | (offset & 0xfc);
}

static uint32_t read32(uint8_t bus, uint8_t slot, uint8_t function, uint8_t offset) {
    cl_outl(CONFIG_ADDRESS, address(bus, slot, function, offset));
    return cl_inl(CONFIG_DATA);
}

uint32_t cl_pci_read32(const cl_pci_device *d, uint8_t offset) { return read32(d->bus, d->slot, d->function, offset); }

void cl_pci_write16(const cl_pci_device *d, uint8_t offset, uint16_t value) {
    cl_outl(CONFIG_ADDRESS, address(d->bus, d->slot, d->function, offset));
    cl_outw((uint16_t)(CONFIG_DATA + (offset & 2)), value);
}

bool cl_pci_present(void) {
    /* No PCI at all (microvm): the address port does not keep what is written to it. */
    cl_outl(CONFIG_ADDRESS, 0x80000000u);
    return cl_inl(CONFIG_ADDRESS) == 0x80000000u;
}

bool cl_pci_find(uint16_t vendor, const uint16_t *devices, size_t device_count, int index, cl_pci_device *out) {
    int seen = 0;
    for (int bus = 0; bus < BUSES; bus++) {
        for (int slot = 0; slot < 32; slot++) {
            for (int function = 0; function < 8; function++) {
                uint32_t id = read32((uint8_t)bus, (uint8_t)slot, (uint8_t)function, 0);
                if ((id & 0xffff) == 0xffff) {
                    if (function == 0) break;
                    continue;
                }
                if ((id & 0xffff) == vendor) {
                    for (size_t i = 0; i < device_count; i++) {
                        if ((id >> 16) != devices[i]) continue;
                        if (seen++ == index) {
                            *out = (cl_pci_device){(uint8_t)bus, (uint8_t)slot, (uint8_t)function, vendor, (uint16_t)(id >> 16)};
                            return true;
                        }
                    }
                }
                /* Only a multi-function device has functions beyond 0. */
                if (function == 0 && !(read32((uint8_t)bus, (uint8_t)slot, 0, 0x0c) & 0x00800000)) break;
            }
        }
    }
    return false;
}
