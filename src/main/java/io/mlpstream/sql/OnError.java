package io.mlpstream.sql;

import org.apache.flink.configuration.DescribedEnum;
import org.apache.flink.configuration.description.InlineElement;

import static org.apache.flink.configuration.description.TextElement.text;

/** What ML_PREDICT does with a row whose image cannot be tagged: the values of {@link ModelOptions#ON_ERROR}. */
public enum OnError implements DescribedEnum {
    FAIL("The job fails with the row's stage and reason (and restarts as its restart strategy says)."),
    NULL("The row comes out with NULL in every prediction column and, in an OUTPUT column 'error STRING' if the model "
            + "declares one, '<stage>: <reason>'.");

    private final String description;

    OnError(String description) {
        this.description = description;
    }

    @Override
    public InlineElement getDescription() {
        return text(description);
    }
}
