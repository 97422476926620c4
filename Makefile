# SPDX-License-Identifier: GPL-2.0
#
# Thin wrappers around kbuild and dkms.  The object list lives in Kbuild;
# the version lives in VERSION.
#
#   make module        probe the kernel API, then build the modules
#   make clean
#   make check         run the project's checks (scripts/check)
#   make check-version fail unless VERSION and dkms.conf agree
#   make dkms-install / dkms-uninstall

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
VERSION := $(shell cat VERSION)
DKMS_SRC := /usr/src/fuse_iomap-$(VERSION)
DKMS_FILES := Kbuild Makefile dkms.conf VERSION module

.PHONY: all module compat clean check check-version dkms-install dkms-uninstall

all: module

compat:
	module/compat/gen-compat.sh $(KDIR) module

module: compat
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -f module/compat_autoconf.h module/compat_autoconf.log

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
	rm -f $(DKMS_SRC)/module/compat_autoconf.h $(DKMS_SRC)/module/compat_autoconf.log
	dkms add fuse_iomap/$(VERSION)
	dkms build fuse_iomap/$(VERSION) -k $(KVER)
	dkms install fuse_iomap/$(VERSION) -k $(KVER)

dkms-uninstall:
	-dkms remove fuse_iomap/$(VERSION) --all
	rm -rf $(DKMS_SRC)
