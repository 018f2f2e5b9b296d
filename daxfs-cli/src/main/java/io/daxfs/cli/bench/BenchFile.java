package io.daxfs.cli.bench;

import io.daxfs.api.DaxFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A file under measurement, reached through one I/O path. Each path is driven the way it is
 * meant to be used: daxfs with a MemorySegment, a FileChannel with a direct ByteBuffer, both
 * views of the same per-thread native buffer so neither pays for the other's form.
 */
interface BenchFile {
    /** One thread's I/O buffer, seen both ways. */
    record Buffer(MemorySegment segment, ByteBuffer byteBuffer) {
        static Buffer of(MemorySegment segment) {
            return new Buffer(segment, segment.asByteBuffer());
        }
    }

    /** Fills the buffer from {@code pos}. */
    void read(long pos, Buffer buf) throws IOException;

    /** Writes the whole buffer at {@code pos}. */
    void write(long pos, Buffer buf) throws IOException;

    static BenchFile of(DaxFile f) {
        return new BenchFile() {
            @Override
            public void read(long pos, Buffer buf) throws IOException {
                f.read(pos, buf.segment());
            }

            @Override
            public void write(long pos, Buffer buf) throws IOException {
                f.write(pos, buf.segment());
            }
        };
    }

    static BenchFile of(FileChannel ch) {
        return new BenchFile() {
            @Override
            public void read(long pos, Buffer buf) throws IOException {
                ByteBuffer b = buf.byteBuffer().clear();
                while (b.hasRemaining() && ch.read(b, pos + b.position()) >= 0) {
                    // a short read continues where it stopped
                }
            }

            @Override
            public void write(long pos, Buffer buf) throws IOException {
                ByteBuffer b = buf.byteBuffer().clear();
                while (b.hasRemaining()) {
                    ch.write(b, pos + b.position());
                }
            }
        };
    }
}
