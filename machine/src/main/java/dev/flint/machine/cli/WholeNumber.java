package dev.flint.machine.cli;

import picocli.CommandLine;

/** Reads an int option's value; its message completes "--OPTION ..." ({@link UsageErrors} puts the name first). */
final class WholeNumber implements CommandLine.ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("needs a whole number, got '" + value + "'");
        }
    }
}
