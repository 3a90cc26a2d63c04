package io.mlpstream.core.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * One ONNX Runtime session per (model sha256, device, threads) per JVM, reference-counted and shared
 * by every subtask in the TaskManager: per-slot sessions would multiply (GPU) memory and threads. The
 * last {@link Lease#close()} closes the session. {@link OrtEnvironment} is a JVM singleton and is
 * never closed.
 */
public final class SharedSessions {
    private static final Logger LOG = LoggerFactory.getLogger(SharedSessions.class);

    private static final Map<String, Entry> ENTRIES = new HashMap<>();

    private SharedSessions() {}

    /** A claim on a shared runner. Close it exactly when the user (an operator instance) closes. */
    public static final class Lease implements AutoCloseable {
        private final String key;
        private final ModelRunner runner;
        private boolean closed;

        private Lease(String key, ModelRunner runner) {
            this.key = key;
            this.runner = runner;
        }

        public ModelRunner runner() {
            return runner;
        }

        @Override
        public void close() {
            synchronized (ENTRIES) {
                if (closed) {
                    return;
                }
                closed = true;
                release(key);
            }
        }
    }

    private static final class Entry {
        final OrtSession session;
        final ModelRunner runner;
        int references;

        Entry(OrtSession session, ModelRunner runner) {
            this.session = session;
            this.runner = runner;
        }
    }

    /**
     * Leases the shared runner for a verified model, creating its session on first use.
     *
     * @param intraOpThreads ORT intra-op threads for the session; 0 lets ORT choose (one per core)
     */
    public static Lease acquire(LoadedModel model, Device requested, int intraOpThreads) {
        // auto without a CUDA provider can only run on the CPU: one CPU session, whichever GPU auto would have tried
        Device shared = requested.kind() == Device.Kind.AUTO
                && !OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA) ? Device.CPU : requested;
        String key = model.card().sha256() + "|" + shared + "|" + intraOpThreads;
        synchronized (ENTRIES) {
            Entry entry = ENTRIES.get(key);
            if (entry == null) {
                entry = open(model, requested, intraOpThreads); // requested: an auto that runs on the CPU says so
                ENTRIES.put(key, entry);
            }
            entry.references++;
            return new Lease(key, entry.runner);
        }
    }

    /** Sessions currently open in this JVM (for leak checks). */
    public static int openSessions() {
        synchronized (ENTRIES) {
            return ENTRIES.size();
        }
    }

    private static void release(String key) {
        Entry entry = ENTRIES.get(key);
        if (entry != null && --entry.references == 0) {
            ENTRIES.remove(key);
            try {
                entry.session.close();
            } catch (OrtException e) {
                LOG.warn("Closing the ONNX Runtime session of {} failed: {}", entry.runner.card().name(), e.getMessage());
            }
        }
    }

    private static Entry open(LoadedModel model, Device requested, int intraOpThreads) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        ModelCard card = model.card();
        boolean cudaPresent = OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
        Boolean cudaUsable = null;
        String cudaError = null;
        OrtSession.SessionOptions options = null;
        try {
            if (requested.kind() != Device.Kind.CPU && cudaPresent) {
                options = baseOptions(intraOpThreads);
                try {
                    options.addCUDA(requested.index()); // auto too: the GPU it tries first
                    cudaUsable = true;
                } catch (OrtException e) {
                    cudaUsable = false;
                    cudaError = e.getMessage();
                    options.close();
                    options = null;
                }
            }
            DeviceSelector.Selection selection = DeviceSelector.select(requested, cudaPresent, cudaUsable, cudaError);
            if (selection.fallbackNote() != null) {
                LOG.info("{}", selection.fallbackNote());
            }
            if (options == null) {
                options = baseOptions(intraOpThreads);
            }
            long start = System.nanoTime();
            OrtSession session = env.createSession(model.onnx(), options);
            try {
                ModelRunner runner = new ModelRunner(env, session, model, selection.device());
                LOG.info(
                        "Opened ONNX Runtime session for model {} v{} ({}) on {} in {} ms",
                        card.name(),
                        card.versionOrDefault(),
                        model.origin(),
                        selection.device(),
                        (System.nanoTime() - start) / 1_000_000);
                return new Entry(session, runner);
            } catch (RuntimeException | OrtException e) {
                session.close();
                throw e;
            }
        } catch (OrtException e) {
            throw new ModelException(
                    "ONNX Runtime could not load model '" + card.name() + "' from " + model.origin() + ": " + e.getMessage(), e);
        } finally {
            // Safe to close right after createSession: in ONNX Runtime Java 1.28.0 an OrtSession keeps only its native
            // session handle, never the options object (OrtSession.java, constructors at lines 89-95 and 108-120), and
            // the C API copies the options' settings into the session and creates the execution providers (CUDA
            // included) from their factories while the session is built. The one thing SessionOptions.close() ends
            // that a live session could still use is a custom op library (it unloads those registered with
            // registerCustomOpLibrary: SessionOptions.close(), lines 733-748); we register none. Should that change,
            // the options must live as long as the session (keep them in the Entry and close them after it).
            if (options != null) {
                options.close();
            }
        }
    }

    private static OrtSession.SessionOptions baseOptions(int intraOpThreads) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (intraOpThreads > 0) {
            options.setIntraOpNumThreads(intraOpThreads);
        }
        return options;
    }
}
