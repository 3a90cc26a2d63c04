package io.mlpstream.sql;

import io.mlpstream.core.model.ModelCard;
import io.mlpstream.core.model.ModelException;
import io.mlpstream.core.model.ModelSource;
import io.mlpstream.flink.ImageInference;
import io.mlpstream.flink.InferenceOptions;
import io.mlpstream.flink.InferenceSettings;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code CREATE MODEL ... WITH ('provider' = 'mlpstream', 'model.name' = ..., ...)}: micro-batched ONNX Runtime image
 * classification behind Flink SQL's {@code ML_PREDICT}. Rows are batched across calls by the same batcher, on the same
 * shared session and with the same metrics as the DataStream API ({@link ImageInference}); the planner runs the predict
 * function under Flink's async operator, so rows in flight are in checkpoints and replayed on restore.
 *
 * <p>The options are the operator's own ({@link ModelOptions}); the planner calls this factory when it plans a query
 * that uses the model, and everything that can be wrong — an unknown or mistyped option, a bad value, a missing or
 * tampered model, an INPUT or OUTPUT column the provider cannot read or fill — fails there, before the job is submitted,
 * with one line naming the option or column and the fix.
 */
public final class MlpstreamModelProviderFactory implements ModelProviderFactory {
    public static final String IDENTIFIER = "mlpstream";

    @Override
    public String factoryIdentifier() {
        return IDENTIFIER;
    }

    @Override
    public Set<ConfigOption<?>> requiredOptions() {
        return new LinkedHashSet<>(ModelOptions.required());
    }

    @Override
    public Set<ConfigOption<?>> optionalOptions() {
        return new LinkedHashSet<>(ModelOptions.optional());
    }

    @Override
    public ModelProvider createModelProvider(Context context) {
        String model = context.getObjectIdentifier().getObjectName();
        ResolvedCatalogModel catalogModel = context.getCatalogModel();
        checkKeys(model, catalogModel.getOptions());
        FactoryUtil.ModelProviderFactoryHelper helper = FactoryUtil.createModelProviderFactoryHelper(this, context);
        InferenceSettings settings;
        try {
            settings = ImageInference.builder().configure(helper.getOptions()).settings();
        } catch (IllegalArgumentException e) {
            throw ModelSchema.invalid(model, "%s", e.getMessage());
        }
        OnError onError = onError(model, helper.getOptions());
        helper.validate();
        ModelCard card;
        try {
            card = ModelSource.load(settings.modelName()).card();
        } catch (ModelException e) {
            throw ModelSchema.invalid(model, "%s", e.getMessage());
        }
        ModelSchema schema = ModelSchema.check(model, catalogModel.getResolvedInputSchema(),
                catalogModel.getResolvedOutputSchema(), card, settings.outputTopK(), onError);
        ReadableConfig session = context.getConfiguration();
        return new MlpstreamModelProvider(model, settings, schema.outputRow(), schema.hasOrigin(), onError,
                session.get(ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_MAX_CONCURRENT_OPERATIONS),
                session.get(ExecutionConfigOptions.TABLE_EXEC_ASYNC_ML_PREDICT_TIMEOUT));
    }

    /**
     * A missing required key, and unknown keys, each refused with the closest real one; the async operator's options
     * with where SQL sets them. Flink's own check ({@code helper.validate()}, which follows) would list every key instead.
     */
    private void checkKeys(String model, Map<String, String> options) {
        Set<String> known = new TreeSet<>();
        known.add(FactoryUtil.PROVIDER.key());
        known.add(FactoryUtil.PROPERTY_VERSION.key());
        requiredOptions().forEach(o -> known.add(o.key()));
        optionalOptions().forEach(o -> known.add(o.key()));
        for (ConfigOption<?> required : requiredOptions()) {
            if (!options.containsKey(required.key())) {
                throw ModelSchema.invalid(model, "'%s' is required: name a bundled model (e.g. '%s' = 'mixer-digits') or "
                        + "a directory holding model.json.", required.key(), required.key());
            }
        }
        for (String key : new TreeSet<>(options.keySet())) {
            if (known.contains(key)) {
                continue;
            }
            for (Map.Entry<ConfigOption<?>, ModelOptions.PerQuery> e : ModelOptions.PER_QUERY.entrySet()) {
                if (e.getKey().key().equals(key)) {
                    throw ModelSchema.invalid(model, "'%s' is set per query in SQL, where Flink's async operator runs the "
                            + "model: use %s.", key, e.getValue().hint(options.get(key)));
                }
            }
            throw ModelSchema.invalid(model, "unknown option '%s' for provider '%s'; did you mean '%s'?", key, IDENTIFIER,
                    InferenceOptions.closest(key, known));
        }
    }

    private static OnError onError(String model, ReadableConfig options) {
        try {
            return options.get(ModelOptions.ON_ERROR);
        } catch (IllegalArgumentException e) {
            throw ModelSchema.invalid(model, "'%s' must be 'fail' or 'null'.", ModelOptions.ON_ERROR.key());
        }
    }
}
