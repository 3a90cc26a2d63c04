package io.mlpstream.job;

import java.io.PrintStream;

/** {@code options}: the configuration reference, as the Markdown table the README holds. */
final class OptionsCommand implements Command {
    @Override
    public String name() {
        return "options";
    }

    @Override
    public String usage() {
        return "";
    }

    @Override
    public String description() {
        return "Prints every job option with its default and description, as a Markdown table (the README's reference).";
    }

    @Override
    public int run(CommandLine commandLine, PrintStream out) {
        out.print(OptionsReference.markdown());
        return 0;
    }
}
