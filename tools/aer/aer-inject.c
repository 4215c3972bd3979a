// SPDX-License-Identifier: GPL-2.0
/*
 * aer-inject: asks the kernel's PCIe AER error injector (CONFIG_PCIEAER_INJECT,
 * /dev/aer_inject) to report one error at a PCI function, as if that
 * function had signalled it: the AER core then runs its recovery, calling
 * the error handlers of the drivers below it.
 *
 *   aer-inject [DOMAIN:]BUS:DEV.FN correctable|nonfatal|fatal
 *
 * The errors are a Receiver Error (correctable), a Completion Timeout
 * (uncorrectable, non-fatal by default severity) and a Data Link Protocol
 * Error (uncorrectable, fatal by default severity). The function must have
 * an AER capability, and so must its Root Port: inject at the Root Port
 * above an endpoint that has none, and recovery reaches the endpoint's
 * driver all the same.
 *
 * A small stand-in for the aer-inject tool of the same name, which Debian
 * does not package. Exits 0 once the kernel accepted the error; the
 * recovery it starts runs in the background.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* struct aer_error_inj, drivers/pci/pcie/aer_inject.c */
struct aer_error_inj {
	uint8_t bus;
	uint8_t dev;
	uint8_t fn;
	uint32_t uncor_status;
	uint32_t cor_status;
	uint32_t header_log0;
	uint32_t header_log1;
	uint32_t header_log2;
	uint32_t header_log3;
	uint32_t domain;
};

#define PCI_ERR_COR_RCVR 0x00000001 /* Receiver Error */
#define PCI_ERR_UNC_DLP 0x00000010 /* Data Link Protocol Error */
#define PCI_ERR_UNC_COMP_TIME 0x00004000 /* Completion Timeout */

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [DOMAIN:]BUS:DEV.FN correctable|nonfatal|fatal\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	struct aer_error_inj einj;
	unsigned int domain = 0, bus, dev, fn;
	ssize_t written;
	int fd;

	if (argc != 3)
		return usage(argv[0]);
	if (sscanf(argv[1], "%x:%x:%x.%x", &domain, &bus, &dev, &fn) != 4) {
		domain = 0;
		if (sscanf(argv[1], "%x:%x.%x", &bus, &dev, &fn) != 3)
			return usage(argv[0]);
	}
	if (bus > 0xff || dev > 0x1f || fn > 7) {
		fprintf(stderr, "%s: bad address %s\n", argv[0], argv[1]);
		return 2;
	}

	memset(&einj, 0, sizeof(einj));
	einj.domain = domain;
	einj.bus = bus;
	einj.dev = dev;
	einj.fn = fn;
	if (!strcmp(argv[2], "correctable"))
		einj.cor_status = PCI_ERR_COR_RCVR;
	else if (!strcmp(argv[2], "nonfatal"))
		einj.uncor_status = PCI_ERR_UNC_COMP_TIME;
	else if (!strcmp(argv[2], "fatal"))
		einj.uncor_status = PCI_ERR_UNC_DLP;
	else
		return usage(argv[0]);

	fd = open("/dev/aer_inject", O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "%s: /dev/aer_inject: %s\n", argv[0], strerror(errno));
		return 1;
	}
	written = write(fd, &einj, sizeof(einj));
	if (written != (ssize_t)sizeof(einj)) {
		fprintf(stderr, "%s: injecting %s at %s: %s\n", argv[0], argv[2], argv[1],
			written < 0 ? strerror(errno) : "short write");
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
