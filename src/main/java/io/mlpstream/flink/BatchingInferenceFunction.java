package io.mlpstream.flink;

import io.mlpstream.core.inference.ImageBytes;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.apache.flink.util.Preconditions;

import java.util.Collections;

/**
 * The DataStream API's async function: Flink's async I/O hands each element to {@code asyncInvoke}, which passes it to
 * the subtask's {@link InferenceEngine} and returns at once; the engine completes the element's {@link ResultFuture}
 * with its {@link Outcome} from a batch worker. Timeouts complete with a failure instead of failing the job.
 *
 * <p>In-flight elements live in AsyncWaitOperator's state and are replayed on restore, so the function keeps no state of
 * its own; re-running inference is deterministic and a transactional sink hides the duplicates.
 */
final class BatchingInferenceFunction<T> extends RichAsyncFunction<T, Outcome<T>> {
    private static final long serialVersionUID = 1L;

    private final InferenceSettings settings;
    private final ImageBytes<T> imageBytes;
    private final InferenceEngine.BatchHook hook;

    private transient InferenceEngine<T, ResultFuture<Outcome<T>>> engine;

    public BatchingInferenceFunction(InferenceSettings settings, ImageBytes<T> imageBytes) {
        this(settings, imageBytes, InferenceEngine.BatchHook.NONE);
    }

    BatchingInferenceFunction(InferenceSettings settings, ImageBytes<T> imageBytes, InferenceEngine.BatchHook hook) {
        this.settings = Preconditions.checkNotNull(settings);
        this.imageBytes = Preconditions.checkNotNull(imageBytes);
        this.hook = Preconditions.checkNotNull(hook);
    }

    @Override
    public void open(OpenContext openContext) {
        engine = InferenceEngine.open(settings, imageBytes, getRuntimeContext().getMetricGroup(),
                getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                getRuntimeContext().getExternalResourceInfos(FlinkGpus.RESOURCE),
                (future, outcome) -> future.complete(Collections.singleton(outcome)), hook);
    }

    @Override
    public void asyncInvoke(T element, ResultFuture<Outcome<T>> resultFuture) {
        engine.add(element, resultFuture);
    }

    @Override
    public void timeout(T element, ResultFuture<Outcome<T>> resultFuture) {
        engine.timeout(element, resultFuture);
    }

    /** The device this instance asked ONNX Runtime for, once open (Flink's GPU assignment applied); for tests. */
    io.mlpstream.core.model.Device requestedDevice() {
        return engine.requestedDevice();
    }

    @Override
    public void close() throws Exception {
        if (engine != null) {
            engine.close();
            engine = null;
        }
    }
}
