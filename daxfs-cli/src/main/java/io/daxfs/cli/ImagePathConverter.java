package io.daxfs.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Lets picocli parameters be {@link ImagePath}s; a malformed one is a usage error. */
final class ImagePathConverter implements ITypeConverter<ImagePath> {
    @Override
    public ImagePath convert(String value) {
        try {
            return ImagePath.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
