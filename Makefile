# SPDX-License-Identifier: GPL-2.0
#
# Thin wrappers around kbuild and dkms.  The object list lives in Kbuild;
# the version lives in VERSION.
#
#   make module        probe the kernel API, then build the modules
#   make libfuse       fetch, patch and build libfuse into the lab's private prefix
#   make clean
#   make check         run the project's checks (scripts/check)
#   make check-version fail unless VERSION and dkms.conf agree
#   make dkms-install / dkms-uninstall

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
VERSION := $(shell cat VERSION)
DKMS_SRC := /usr/src/fuse_iomap-$(VERSION)
DKMS_FILES := Kbuild Makefile dkms.conf VERSION module

.PHONY: all module compat libfuse clean check check-version dkms-install dkms-uninstall FORCE

all: module

# The probes run again only when they change or when KDIR names another
# kernel (the stamp holds KDIR and its release), not on every build: they
# cost a kbuild pass, about 2 s, of the edit loop.
COMPAT_H := module/compat_autoconf.h
COMPAT_STAMP := module/compat_autoconf.kdir
COMPAT_RAN := module/compat_autoconf.ran
COMPAT_ID = $(KDIR) $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)

$(COMPAT_STAMP): FORCE
	@echo '$(COMPAT_ID)' | cmp -s - $@ || echo '$(COMPAT_ID)' > $@

# gen-compat.sh leaves the header alone when its content is unchanged, so
# that objects are not rebuilt; $(COMPAT_RAN) records that it ran.
$(COMPAT_RAN): $(COMPAT_STAMP) module/compat/gen-compat.sh $(wildcard module/compat/probes/*.c)
	module/compat/gen-compat.sh $(KDIR) module
	@touch $@

compat: $(COMPAT_RAN)

module: compat
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

libfuse:
	./scripts/lab build --part libfuse

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f $(COMPAT_H) $(COMPAT_STAMP) $(COMPAT_RAN) module/compat_autoconf.log

check:
	./scripts/check

check-version:
	@dkms_version=$$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' dkms.conf); \
	if [ "$$dkms_version" != "$(VERSION)" ]; then \
		echo "dkms.conf PACKAGE_VERSION '$$dkms_version' != VERSION '$(VERSION)'" >&2; \
		exit 1; \
	fi

dkms-install: check-version
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -R $(DKMS_FILES) $(DKMS_SRC)/
	rm -f $(DKMS_SRC)/module/compat_autoconf.*
	dkms add fuse_iomap/$(VERSION)
	dkms build fuse_iomap/$(VERSION) -k $(KVER)
	dkms install fuse_iomap/$(VERSION) -k $(KVER)

dkms-uninstall:
	-dkms remove fuse_iomap/$(VERSION) --all
	rm -rf $(DKMS_SRC)
