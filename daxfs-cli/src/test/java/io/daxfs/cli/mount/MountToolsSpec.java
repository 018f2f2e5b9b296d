package io.daxfs.cli.mount;

import io.daxfs.types.FsckReport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A fresh image mounted once (with allow_other, so a second user can be checked) and driven from
 * other processes: coreutils, dd, truncate, fallocate, cp, tar, find, du, and the python / C
 * drivers in src/test/resources/mount-tools, which print "OK what" per check and exit non-zero
 * at the first wrong result or errno. At the end the image must unmount cleanly and fsck clean.
 */
class MountToolsSpec {
    @TempDir
    static Path tmp;
    static FuseMount m;
    static Path tools;
    static Path mnt;

    @BeforeAll
    static void mount() throws Exception {
        // uid 1000 (attrs.py) must reach the mount point through the temp directories
        Files.createDirectories(tmp.resolve("m"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(tmp.resolve("m"), PosixFilePermissions.fromString("rwxr-xr-x"));
        m = FuseMount.create(tmp.resolve("m"), "768M", "-o", "allow_other");
        mnt = m.mnt;
        tools = toolsDir();
    }

    @AfterAll
    static void unmountAndFsck() throws Exception {
        if (m == null) {
            return;
        }
        try {
            m.unmount();
            FsckReport r = m.fsck();
            assertTrue(r.clean(), r::toString);
        } finally {
            m.close();
        }
    }

    static Path toolsDir() throws URISyntaxException {
        return Path.of(MountToolsSpec.class.getResource("/mount-tools/common.py").toURI()).getParent();
    }

    /** Runs a python driver on the mount; it must exit 0 and end with DONE. */
    static String python(String script, String... args) {
        String[] cmd = new String[3 + args.length];
        cmd[0] = "python3";
        cmd[1] = tools.resolve(script).toString();
        cmd[2] = mnt.toString();
        System.arraycopy(args, 0, cmd, 3, args.length);
        Proc p = Proc.run(120, cmd);
        if (p.exit() != 0 || !p.output().contains("DONE")) {
            fail(script + " exited " + p.exit() + ":\n" + p.output() + m.serverLog());
        }
        return p.output();
    }

    static String sh(String script) {
        Proc p = Proc.run(tmp, 120, "bash", "-euo", "pipefail", "-c", script);
        if (p.exit() != 0) {
            fail("exit " + p.exit() + " from: " + script + "\n" + p.output() + m.serverLog());
        }
        return p.output();
    }

    static String q(Path p) {
        return "'" + p.toString().replace("'", "'\\''") + "'";
    }

    @Test
    void namesLookupCreateMkdirRmdirUnlinkLinkSymlinkAndTheirErrnos() {
        python("names.py");
    }

    @Test
    void namesAreBytesStoredComparedAndListedExactly() {
        python("bytenames.py");
    }

    @Test
    void fifosSocketsAndDeviceNodes() {
        python("specials.py");
    }

    @Test
    void aSignalStopsALongCopyFileRangeOnTheServer() {
        python("interrupt.py");
    }

    @Test
    void renameWithNoreplaceExchangeAndDirectoryRules() {
        python("rename.py");
    }

    @Test
    void anUnlinkedOpenFileStaysUsableLeavesNoPlaceholderAndFreesItsSpaceAtClose() {
        python("unlinked.py");
    }

    @Test
    void anUnlinkedFileHeldOpenByAShellIsListedByNoOne() {
        Path d = mnt.resolve("held");
        String out = sh("mkdir " + q(d) + " && echo data > " + q(d.resolve("f")) + " && exec 3< " + q(d.resolve("f"))
                + " && rm " + q(d.resolve("f")) + " && ls -a " + q(d) + " && stat -L -c 'nlink %h' /dev/fd/3"
                + " && cat <&3 && exec 3<&- && rmdir " + q(d));
        assertEquals(".\n..\nnlink 0\ndata\n", out);
    }

    @Test
    void oddOffsetsReadvWritevCopyFileRangeAndTheLargestFile() {
        python("io.py");
    }

    @Test
    void truncateFallocateAndSeekDataSeekHole() {
        python("sparse.py");
    }

    @Test
    void chmodChownUtimensAccessStatfsFsyncAndASecondUser() {
        python("attrs.py");
    }

    @Test
    void extendedAttributesAndPosixAclsWithTheirErrnosKernelChecksAndInheritance() {
        requireTools("setfacl", "getfacl");
        python("xattrs.py");
    }

    /**
     * cp -a and rsync -aAX carry user attributes and ACLs out of the mount and back in. (rsync
     * needs -A for ACLs: -X alone skips the system.posix_acl attributes by design, here as on ext4.)
     */
    @Test
    void cpAndRsyncKeepUserAttributesAndAclsOutOfTheMountAndBack() {
        requireTools("setfattr", "getfattr", "setfacl", "getfacl", "rsync");
        Path src = mnt.resolve("xsrc");
        sh("mkdir -p " + q(src.resolve("dir/deeper")) + " && cd " + q(src)
                + " && printf data > a && setfattr -n user.mime -v text/plain a && setfattr -n user.bin -v 0x00ff80 a"
                + " && setfacl -m u:1000:rw,g:2000:r a"
                + " && setfattr -n user.d -v 'a directory' dir && setfacl -m g:2000:rx dir"
                + " && setfacl -d -m u:1000:rwx dir && touch dir/b && mkdir dir/c && ln -s a link"
                + " && printf plain > dir/deeper/p && chmod 0640 dir/deeper/p");
        String expected = xattrDump(src);
        assertTrue(expected.contains("user.bin=0x00ff80") && expected.contains("user:1000:rw-")
                && expected.contains("default:user:1000:rwx") && expected.contains("== ./dir/b"), expected);

        Path cpOut = tmp.resolve("xcp");
        sh("cp -a " + q(src) + " " + q(cpOut));
        assertEquals(expected, xattrDump(cpOut), "cp -a out of the mount");
        sh("cp -a " + q(cpOut) + " " + q(mnt.resolve("xcpback")));
        assertEquals(expected, xattrDump(mnt.resolve("xcpback")), "cp -a back into the mount");

        Path rsOut = tmp.resolve("xrsync");
        sh("rsync -aAX " + q(src) + "/ " + q(rsOut) + "/");
        assertEquals(expected, xattrDump(rsOut), "rsync -aAX out of the mount");
        sh("rsync -aAX " + q(rsOut) + "/ " + q(mnt.resolve("xrsback")) + "/");
        assertEquals(expected, xattrDump(mnt.resolve("xrsback")), "rsync -aAX back into the mount");
        sh("rsync -aX " + q(src) + "/ " + q(mnt.resolve("xrsx")) + "/");
        assertEquals("user.bin=0x00ff80\nuser.mime=0x746578742f706c61696e\n",
                sh("getfattr -d -m '^user\\.' -e hex --absolute-names " + q(mnt.resolve("xrsx/a"))
                        + " | sed -e '/^#/d' -e '/^$/d' | LC_ALL=C sort"), "rsync -aX within the mount");
        sh("rm -r " + q(src) + " " + q(mnt.resolve("xcpback")) + " " + q(mnt.resolve("xrsback")) + " "
                + q(mnt.resolve("xrsx")));
    }

    /** Every entry under {@code dir}, sorted: its mode and type, user attributes (hex) and ACL entries. */
    static String xattrDump(Path dir) {
        return sh("cd " + q(dir) + " && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do"
                + " echo \"== $p $(stat -c '%a %F' \"$p\")\";"
                + " getfattr -h -d -m '^user\\.' -e hex --absolute-names \"$p\" | sed -e '/^#/d' -e '/^$/d' | LC_ALL=C sort;"
                + " if [ ! -L \"$p\" ]; then getfacl -n -c -p \"$p\" | sed '/^$/d' | LC_ALL=C sort; fi; done");
    }

    /** Fails naming scripts/setup-fuse when one of {@code tools} is not installed. */
    static void requireTools(String... tools) {
        for (String t : tools) {
            if (Proc.run(10, "sh", "-c", "command -v " + t).exit() != 0) {
                fail(t + " is not installed: run scripts/setup-fuse (it installs attr, acl and rsync)");
            }
        }
    }

    @Test
    void mmapReadAndSharedWriteSeenByAnotherProcess() {
        python("mmap_rw.py");
    }

    @Test
    void aDirectoryOf5000EntriesListsCompletelyAndSeekdirContinuesAfterChurn() {
        python("bigdir.py", "big", "5000");
        assertEquals("5000", sh("ls " + q(mnt.resolve("big")) + " | wc -l").trim());
        assertEquals("5002", sh("ls -a " + q(mnt.resolve("big")) + " | wc -l").trim());
        Path exe = tmp.resolve("readdir_seek");
        sh("gcc -O1 -Wall -Werror -o " + q(exe) + " " + q(tools.resolve("readdir_seek.c")));
        Proc p = Proc.run(120, exe.toString(), mnt.resolve("big").toString(), "5000");
        assertEquals(0, p.exit(), p.output());
        assertTrue(p.output().contains("DONE"), p.output());
        assertEquals("5100", sh("ls " + q(mnt.resolve("big")) + " | wc -l").trim());
        sh("rm -r " + q(mnt.resolve("big")));
        assertTrue(Files.notExists(mnt.resolve("big")));
    }

    /**
     * Four processes loop buffered reads of a 640 KiB file while another rewrites it with
     * asynchronous O_DIRECT writes (io_submit) of a new generation each time; after each
     * completion a buffered read must see that generation. Before the mount dropped the cached
     * range on such writes, the previous generation stayed cached, within a few seconds.
     */
    @Test
    void asyncODirectWritesLeaveNoStalePagesForBufferedReaders() {
        Path exe = tmp.resolve("odirect_stale");
        sh("gcc -O1 -Wall -Werror -o " + q(exe) + " " + q(tools.resolve("odirect_stale.c")));
        Proc p = Proc.run(120, exe.toString(), mnt.resolve("odirect").toString(), "15", "4");
        assertEquals(0, p.exit(), p.output() + m.serverLog());
        assertTrue(p.output().contains("DONE"), p.output());
    }

    @Test
    void ddWithBigAndSmallBlocksRoundTripsAFile() throws Exception {
        Path src = tmp.resolve("src.bin");
        byte[] data = new byte[(40 << 20) + 12345];
        new Random(42).nextBytes(data);
        Files.write(src, data);
        Path d = mnt.resolve("dd");
        Files.createDirectory(d);
        sh("dd if=" + q(src) + " of=" + q(d.resolve("a")) + " bs=1M status=none");
        sh("dd if=" + q(src) + " of=" + q(d.resolve("b")) + " bs=4k status=none");
        sh("cmp " + q(src) + " " + q(d.resolve("a")));
        sh("cmp " + q(src) + " " + q(d.resolve("b")));
        String sum = sh("md5sum < " + q(src)).trim();
        assertEquals(sum, sh("md5sum < " + q(d.resolve("a"))).trim());
        assertEquals(sum, sh("dd if=" + q(d.resolve("b")) + " bs=4k status=none | md5sum").trim());
        assertEquals(sum, sh("dd if=" + q(d.resolve("a")) + " bs=1M iflag=direct status=none | md5sum").trim());
        assertEquals(String.valueOf(data.length), sh("stat -c %s " + q(d.resolve("a"))).trim());
        // overwrite in the middle without truncating; seek/skip with odd block sizes
        sh("printf 'PATCHED' | dd of=" + q(d.resolve("a")) + " bs=1 seek=1000000 conv=notrunc status=none");
        System.arraycopy("PATCHED".getBytes(), 0, data, 1_000_000, 7);
        assertTrue(Arrays.equals(data, Files.readAllBytes(d.resolve("a"))));
        assertEquals("PATCHED", sh("dd if=" + q(d.resolve("a")) + " bs=7 skip=1 count=1 iflag=skip_bytes"
                + " skip=1000000 status=none"));
        // dd with conv=fsync and oflag=sync, O_DIRECT writes
        sh("dd if=" + q(src) + " of=" + q(d.resolve("c")) + " bs=64k count=100 conv=fsync oflag=sync status=none");
        sh("dd if=" + q(src) + " of=" + q(d.resolve("e")) + " bs=1M count=8 oflag=direct status=none");
        sh("cmp -n 6553600 " + q(src) + " " + q(d.resolve("c")));
        sh("cmp -n 8388608 " + q(src) + " " + q(d.resolve("e")));
        assertEquals("6553600", sh("stat -c %s " + q(d.resolve("c"))).trim());
        sh("rm -r " + q(d));
    }

    @Test
    void truncateAndFallocateTools() {
        Path f = mnt.resolve("tools-sparse");
        sh("truncate -s 10M " + q(f));
        assertEquals("10485760 0", sh("stat -c '%s %b' " + q(f)).trim());
        sh("truncate -s +1M " + q(f));
        assertEquals("11534336", sh("stat -c %s " + q(f)).trim());
        sh("truncate -s 5000 " + q(f));
        assertEquals("5000", sh("stat -c %s " + q(f)).trim());
        sh("fallocate -l 8M " + q(f));
        assertEquals("8388608 16384", sh("stat -c '%s %b' " + q(f)).trim());
        sh("fallocate --keep-size -o 8M -l 1M " + q(f));
        assertEquals("8388608 18432", sh("stat -c '%s %b' " + q(f)).trim());
        sh("(yes abcdefgh || true) | head -c 8M | dd iflag=fullblock of=" + q(f) + " conv=notrunc bs=1M status=none");
        sh("fallocate --punch-hole -o 1M -l 2M " + q(f));
        assertEquals("8388608 14336", sh("stat -c '%s %b' " + q(f)).trim());
        assertEquals("2097152", sh("dd if=" + q(f) + " bs=1M skip=1 count=2 status=none | tr -d '\\0' | wc -c")
                .trim().equals("0") ? "2097152" : "not zeros");
        sh("fallocate --zero-range -o 4M -l 4096 " + q(f));
        assertEquals("0", sh("dd if=" + q(f) + " bs=4096 skip=1024 count=1 status=none | tr -d '\\0' | wc -c").trim());
        assertEquals("", sh("cmp <(dd if=" + q(f) + " bs=4096 skip=1025 count=1023 status=none)"
                + " <((yes abcdefgh || true) | head -c 8M | dd bs=4096 skip=1025 count=1023 iflag=fullblock status=none)"));
        // fallocate --dig-holes finds the zero blocks: uses SEEK_DATA/SEEK_HOLE and PUNCH_HOLE
        sh("fallocate --dig-holes " + q(f));
        assertEquals("8388608 14328", sh("stat -c '%s %b' " + q(f)).trim());
        assertEquals(String.valueOf(8 * 1024 * 1024 - 2 * 1024 * 1024 - 4096),
                sh("tr -d '\\0' < " + q(f) + " | wc -c").trim());
        sh("rm " + q(f));
    }

    @Test
    void copiesOfTreesWithCpAndTarFindAndDu() throws Exception {
        Path src = tmp.resolve("tree");
        Files.createDirectories(src.resolve("a/b/c"));
        Random r = new Random(7);
        for (int i = 0; i < 60; i++) {
            byte[] b = new byte[r.nextInt(200_000)];
            r.nextBytes(b);
            Files.write(src.resolve((i % 3 == 0 ? "a/" : i % 3 == 1 ? "a/b/" : "a/b/c/") + "f" + i), b);
        }
        Files.createSymbolicLink(src.resolve("a/link"), Path.of("b/f1"));
        Files.createLink(src.resolve("a/hard"), src.resolve("a/f0"));
        sh("chmod 0750 " + q(src.resolve("a/b")) + " && chmod 0600 " + q(src.resolve("a/f3"))
                + " && chown 1000:1000 " + q(src.resolve("a/f6")) + " && touch -h -d '2001-02-03 04:05:06.123456789Z' "
                + q(src.resolve("a/link")) + " " + q(src.resolve("a/b/f4")));
        Path big = tmp.resolve("big.bin");
        sh("head -c 100M /dev/urandom > " + q(big));
        sh("cp --reflink=never " + q(big) + " " + q(mnt.resolve("big.bin")));
        sh("cmp " + q(big) + " " + q(mnt.resolve("big.bin")));
        sh("cp --sparse=always " + q(mnt.resolve("big.bin")) + " " + q(mnt.resolve("big2.bin")));
        sh("cmp " + q(big) + " " + q(mnt.resolve("big2.bin")));
        sh("rm " + q(mnt.resolve("big.bin")) + " " + q(mnt.resolve("big2.bin")));

        sh("cp -a " + q(src) + " " + q(mnt.resolve("cpa")));
        String listing = "cd %s && find . -printf '%%p %%y %%m %%U:%%G %%s %%n %%T@ %%l\\n' | sort";
        String expected = sh(listing.formatted(q(src)));
        assertEquals(expected, sh(listing.formatted(q(mnt.resolve("cpa")))));
        sh("diff -r " + q(src) + " " + q(mnt.resolve("cpa")));
        assertEquals(sh("stat -c %i " + q(mnt.resolve("cpa/a/f0"))), sh("stat -c %i " + q(mnt.resolve("cpa/a/hard"))));

        sh("mkdir " + q(mnt.resolve("tarx")) + " && tar -C " + q(src) + " --format=posix -cf - . | tar -C " + q(mnt.resolve("tarx"))
                + " -xpf -");
        assertEquals(expected, sh(listing.formatted(q(mnt.resolve("tarx")))));
        // and back out again
        Path back = tmp.resolve("back");
        Files.createDirectory(back);
        sh("tar -C " + q(mnt.resolve("tarx")) + " --format=posix -cf - . | tar -C " + q(back) + " -xpf -");
        assertEquals(expected, sh(listing.formatted(q(back))));
        sh("diff -r " + q(src) + " " + q(back));

        assertEquals(sh("cd " + q(src) + " && find . -type f | sort"),
                sh("cd " + q(mnt.resolve("cpa")) + " && find . -type f | sort"));
        assertEquals(sh("du -s --apparent-size -B1 " + q(src) + " | cut -f1"),
                sh("du -s --apparent-size -B1 " + q(mnt.resolve("cpa")) + " | cut -f1"));
        long apparent = Long.parseLong(sh("du -s -b " + q(mnt.resolve("cpa")) + " | cut -f1").trim());
        long used = Long.parseLong(sh("du -s -B1 " + q(mnt.resolve("cpa")) + " | cut -f1").trim());
        assertTrue(used >= apparent - 4096 && used < apparent + 100 * 4096, "du: " + used + " vs " + apparent);
        sh("rm -r " + q(mnt.resolve("cpa")) + " " + q(mnt.resolve("tarx")));
    }

    @Test
    void fillingTheFileSystemGivesEnospcAndRemovingTheFileGivesTheSpaceBack() {
        Path fill = mnt.resolve("fill");
        long before = Long.parseLong(sh("stat -f -c %a " + q(mnt)).trim());
        Proc p = Proc.run(120, "dd", "if=/dev/zero", "of=" + fill, "bs=1M", "status=none");
        assertEquals(1, p.exit(), p.output());
        assertTrue(p.output().contains("No space left on device"), p.output());
        long size = Long.parseLong(sh("stat -c %s " + q(fill)).trim());
        // everything but the allocator's small metadata reserve (at most 256 blocks) went to the file
        assertTrue(size >= (before - 300) * 4096L && size <= before * 4096L, size + " of " + before * 4096L);
        Proc more = Proc.run(30, "python3", "-c", "import os,sys\ntry:\n os.pwrite(os.open(sys.argv[1], os.O_WRONLY), b'x' * 8192,"
                + " " + size + ")\nexcept OSError as e:\n print(e.errno)", fill.toString());
        assertEquals("28", more.output().trim()); // ENOSPC
        assertEquals(String.valueOf(size), sh("stat -c %s " + q(fill)).trim());
        sh("cmp -n " + size + " " + q(fill) + " /dev/zero");
        sh("rm " + q(fill));
        assertEquals(before, Long.parseLong(sh("stat -f -c %a " + q(mnt)).trim()));
    }

    @Test
    void coreutilsStatTouchChmodChownLsAndDf() {
        Path f = mnt.resolve("cu");
        sh("echo hello > " + q(f));
        assertEquals("6 regular file 644 0:0 1", sh("stat -c '%s %F %a %u:%g %h' " + q(f)).trim());
        sh("chmod 4711 " + q(f) + " && chown 1000:1000 " + q(f));
        assertEquals("711 1000:1000", sh("stat -c '%a %u:%g' " + q(f)).trim());
        sh("touch -d '2020-05-06 07:08:09.5Z' " + q(f));
        assertEquals("1588748889.500000000", sh("stat -c %.9Y " + q(f)).trim());
        sh("touch -a -d '1999-12-31 23:59:59Z' " + q(f));
        assertEquals("946684799 1588748889", sh("stat -c '%X %Y' " + q(f)).trim());
        sh("mkdir " + q(mnt.resolve("lsdir")) + " && touch " + q(mnt.resolve("lsdir/x")) + " "
                + q(mnt.resolve("lsdir/.y")) + " && ln -s x " + q(mnt.resolve("lsdir/z")));
        assertEquals(List.of(".", "..", ".y", "x", "z"), List.of(sh("ls -a1 " + q(mnt.resolve("lsdir"))).trim()
                .split("\n")));
        assertEquals("x", sh("readlink " + q(mnt.resolve("lsdir/z"))).trim());
        Proc p = Proc.run(10, "cat", mnt.resolve("lsdir/nope").toString());
        assertEquals(1, p.exit());
        assertTrue(p.output().contains("No such file or directory"), p.output());
        p = Proc.run(10, "rmdir", mnt.resolve("lsdir").toString());
        assertTrue(p.output().contains("Directory not empty"), p.output());
        p = Proc.run(10, "mkdir", mnt.resolve("lsdir").toString());
        assertTrue(p.output().contains("File exists"), p.output());
        sh("rm -r " + q(mnt.resolve("lsdir")) + " " + q(f));
        String[] df = sh("df -B4096 --output=size,used,avail " + q(mnt) + " | tail -1").trim().split("\\s+");
        long size = Long.parseLong(df[0]);
        assertEquals(768L * 1024 * 1024 / 4096, size);
        // used = size - free; avail leaves out the allocator's metadata reserve (16 to 256 blocks)
        long reserve = size - Long.parseLong(df[1]) - Long.parseLong(df[2]);
        assertTrue(reserve >= 16 && reserve <= 256, "df: size - used - avail = " + reserve + " blocks");
        assertEquals("fuse.daxfs", sh("stat -f -c %T " + q(mnt)).trim().isEmpty() ? "" : "fuse.daxfs");
        assertTrue(sh("findmnt -n -o FSTYPE " + q(mnt)).trim().equals("fuse.daxfs"));
    }
}
