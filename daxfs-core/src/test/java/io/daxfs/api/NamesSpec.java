package io.daxfs.api;

import io.daxfs.types.DaxException;
import io.daxfs.types.DirEntry;
import io.daxfs.types.Errno;
import io.daxfs.types.FileType;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.util.List;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Path and name rules: absolute '/'-separated paths; names of 1 to 255 bytes without NUL;
 * "." and ".." resolve as in POSIX; repeated slashes are one.
 */
class NamesSpec extends FsSpec {

    void touch(String path) throws DaxException {
        fs.open(path, CREATE_NEW, WRITE).close();
    }

    @Nested
    class Lengths {
        @Test
        void aNameOf255BytesIsAccepted() throws Exception {
            String name = "n".repeat(255);
            touch("/" + name);
            fs.mkdir("/" + "d".repeat(255));
            fs.symlink("/" + name, "/" + "s".repeat(255));
            assertEquals(FileType.REGULAR, fs.stat("/" + "s".repeat(255)).type());
            assertTrue(fs.readdir("/").stream().anyMatch(e -> e.name().equals(name)));
        }

        @Test
        void aNameOf256BytesIsENAMETOOLONGForEveryOperation() throws Exception {
            String longName = "/" + "n".repeat(256);
            touch("/f");
            fs.mkdir("/d");
            fails(Errno.ENAMETOOLONG, () -> fs.open(longName, CREATE, WRITE));
            fails(Errno.ENAMETOOLONG, () -> fs.open(longName));
            fails(Errno.ENAMETOOLONG, () -> fs.mkdir(longName));
            fails(Errno.ENAMETOOLONG, () -> fs.mkdir("/d" + longName));
            fails(Errno.ENAMETOOLONG, () -> fs.symlink("/f", longName));
            fails(Errno.ENAMETOOLONG, () -> fs.link("/f", longName));
            fails(Errno.ENAMETOOLONG, () -> fs.rename("/f", longName));
            fails(Errno.ENAMETOOLONG, () -> fs.stat(longName));
            fails(Errno.ENAMETOOLONG, () -> fs.unlink(longName));
            fails(Errno.ENAMETOOLONG, () -> fs.rmdir(longName));
            fails(Errno.ENAMETOOLONG, () -> fs.stat(longName + "/x"), "also in the middle of a path");
            assertEquals(List.of("d", "f"), fs.readdir("/").stream().map(DirEntry::name).sorted().toList());
        }

        @Test
        void lengthsAreCountedInUtf8BytesNotCharacters() throws Exception {
            String twoByte = "é".repeat(127) + "x";   // 127 * 2 + 1 = 255 bytes, 128 chars
            String threeByte = "€".repeat(85);         // 255 bytes, 85 chars
            String fourByte = "😀".repeat(63) + "abc"; // 63 * 4 + 3 = 255 bytes
            for (String name : List.of(twoByte, threeByte, fourByte)) {
                assertEquals(255, utf8(name).length);
                writeFile("/" + name, utf8(name));
                assertArrayEquals(utf8(name), readFile("/" + name));
            }
            assertEquals(3, fs.readdir("/").size());
            assertTrue(fs.readdir("/").stream().map(DirEntry::name).toList().containsAll(List.of(twoByte, threeByte, fourByte)));

            fails(Errno.ENAMETOOLONG, () -> touch("/" + "é".repeat(128)));   // 128 chars, 256 bytes
            fails(Errno.ENAMETOOLONG, () -> touch("/" + "€".repeat(86)));    // 258 bytes
            fails(Errno.ENAMETOOLONG, () -> fs.mkdir("/" + "😀".repeat(64))); // 256 bytes
        }

        @Test
        void pathsOf4096BytesOrMoreAreENAMETOOLONG() throws Exception {
            // 16 components of 255 bytes: 16 * 256 = 4096 bytes with the slashes.
            String component = "/" + "c".repeat(255);
            String path = component.repeat(16);
            assertEquals(4096, path.length());
            fails(Errno.ENAMETOOLONG, () -> fs.stat(path));
            fails(Errno.ENAMETOOLONG, () -> fs.mkdir(path));
            // A deep path just under the limit resolves.
            StringBuilder p = new StringBuilder();
            for (int i = 0; i < 15; i++) {
                p.append(component);
                fs.mkdir(p.toString());
            }
            String last = p + "/" + "e".repeat(4095 - p.length() - 1);
            assertEquals(4095, last.length());
            touch(last);
            assertEquals(FileType.REGULAR, fs.stat(last).type());
        }
    }

    @Nested
    class BadNames {
        @Test
        void anEmptyPathIsENOENT() {
            fails(Errno.ENOENT, () -> fs.stat(""));
            fails(Errno.ENOENT, () -> fs.open("", CREATE, WRITE));
            fails(Errno.ENOENT, () -> fs.mkdir(""));
            fails(Errno.ENOENT, () -> fs.unlink(""));
        }

        @Test
        void aNulCharacterIsEINVAL() throws Exception {
            touch("/f");
            fails(Errno.EINVAL, () -> fs.open("/a\0b", CREATE, WRITE));
            fails(Errno.EINVAL, () -> fs.mkdir("/a\0"));
            fails(Errno.EINVAL, () -> fs.stat("/\0"));
            fails(Errno.EINVAL, () -> fs.rename("/f", "/g\0"));
            fails(Errno.EINVAL, () -> fs.symlink("/f\0x", "/l"), "also in a symlink target");
            assertEquals(1, fs.readdir("/").size());
        }

        @Test
        void relativePathsAreEINVAL() throws Exception {
            touch("/f");
            fails(Errno.EINVAL, () -> fs.open("f"));
            fails(Errno.EINVAL, () -> fs.open("./f"));
            fails(Errno.EINVAL, () -> fs.mkdir("d"));
            fails(Errno.EINVAL, () -> fs.stat("f"));
            fails(Errno.EINVAL, () -> fs.rename("/f", "g"));
            fails(Errno.EINVAL, () -> fs.rename("f", "/g"));
            fails(Errno.EINVAL, () -> fs.link("/f", "g"));
            fails(Errno.EINVAL, () -> fs.readdir("."));
        }

        @Test
        void dotAndDotDotCannotBeCreatedOrRemoved() throws Exception {
            fs.mkdir("/d");
            fails(Errno.EEXIST, () -> fs.mkdir("/d/."));
            fails(Errno.EEXIST, () -> fs.mkdir("/d/.."));
            fails(Errno.EEXIST, () -> fs.symlink("/x", "/d/."));
            fails(Errno.EISDIR, () -> fs.open("/d/.", CREATE, WRITE));
            fails(Errno.EISDIR, () -> fs.unlink("/d/."));
            fails(Errno.EISDIR, () -> fs.unlink("/d/.."));
            fails(Errno.EINVAL, () -> fs.rename("/d/.", "/e"));
            fails(Errno.EINVAL, () -> fs.rename("/d", "/d/.."));
        }
    }

    @Nested
    class Resolution {
        @Test
        void dotIsTheDirectoryItself() throws Exception {
            fs.mkdir("/a");
            writeFile("/a/f", utf8("f"));
            assertArrayEquals(utf8("f"), readFile("/a/./f"));
            assertArrayEquals(utf8("f"), readFile("/./a/././f"));
            assertEquals(fs.stat("/a").ino(), fs.stat("/a/.").ino());
            assertEquals(fs.stat("/").ino(), fs.stat("/.").ino());
            touch("/a/./g");
            assertTrue(fs.exists("/a/g"));
        }

        @Test
        void dotDotIsTheParentAndTheRootIsItsOwnParent() throws Exception {
            fs.mkdir("/a");
            fs.mkdir("/a/b");
            writeFile("/a/f", utf8("f"));
            assertArrayEquals(utf8("f"), readFile("/a/b/../f"));
            assertEquals(fs.stat("/a").ino(), fs.stat("/a/b/..").ino());
            assertEquals(fs.stat("/").ino(), fs.stat("/a/..").ino());
            assertEquals(fs.stat("/").ino(), fs.stat("/..").ino());
            assertEquals(fs.stat("/").ino(), fs.stat("/../../..").ino());
            assertArrayEquals(utf8("f"), readFile("/../a/../a/b/../f"));
            fs.mkdir("/a/b/../c");
            assertTrue(fs.exists("/a/c"));
        }

        @Test
        void dotDotThroughAFileIsENOTDIR() throws Exception {
            touch("/f");
            fails(Errno.ENOTDIR, () -> fs.stat("/f/.."));
            fails(Errno.ENOTDIR, () -> fs.stat("/f/."));
        }

        @Test
        void dotDotAfterASymlinkedDirectoryIsThePhysicalParent() throws Exception {
            fs.mkdir("/x");
            fs.mkdir("/x/y");
            fs.symlink("/x/y", "/l");
            assertEquals(fs.stat("/x").ino(), fs.stat("/l/..").ino());
        }

        @Test
        void repeatedAndTrailingSlashesAreIgnored() throws Exception {
            fs.mkdir("/a");
            fs.mkdir("//a///b//");
            writeFile("/a/b/f", utf8("x"));
            assertArrayEquals(utf8("x"), readFile("//a//b///f"));
            assertEquals(fs.stat("/a/b").ino(), fs.stat("/a/b/").ino());
            assertEquals(fs.stat("/").ino(), fs.stat("///").ino());
            assertEquals(List.of("f"), fs.readdir("//a/b//").stream().map(DirEntry::name).toList());
        }

        @Test
        void namesAreCaseSensitiveAndMayContainAnyOtherByte() throws Exception {
            List<String> names = List.of("a", "A", "...", ".hidden", "with space", "tab\there", "new\nline",
                    "back\\slash", "日本語", "-", "*?", "\u0001");
            for (String n : names) {
                writeFile("/" + n, utf8(n));
            }
            for (String n : names) {
                assertArrayEquals(utf8(n), readFile("/" + n), n);
            }
            assertEquals(names.stream().sorted().toList(),
                    fs.readdir("/").stream().map(DirEntry::name).sorted().toList());
        }

        @Test
        void aMissingComponentIsENOENT() throws Exception {
            fs.mkdir("/a");
            fails(Errno.ENOENT, () -> fs.stat("/a/missing/f"));
            fails(Errno.ENOENT, () -> fs.stat("/missing/.."));
        }
    }
}
