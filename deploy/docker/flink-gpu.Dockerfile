# Flink 2.2.1 for NVIDIA GPUs: the official Flink image's Flink, JVM and entrypoint on NVIDIA's CUDA 12 runtime with
# cuDNN 9, which onnxruntime_gpu 1.28.0 (the job jar built with -Pgpu) needs. The container runtime adds the driver and
# nvidia-smi, which Flink's GPU plugin (plugins/external-resource-gpu) runs to find the GPUs. The compose stack's GPU
# TaskManager runs it; deploy/docker/job-gpu.Dockerfile adds the job for Kubernetes.
FROM flink:2.2.1-java17 AS flink

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends libsnappy1v5 gettext-base libjemalloc-dev curl; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system --gid=9999 flink; \
    useradd --system --home-dir /opt/flink --uid=9999 --gid=flink flink
ENV JAVA_HOME=/opt/java/openjdk FLINK_HOME=/opt/flink
ENV PATH=$FLINK_HOME/bin:$JAVA_HOME/bin:$PATH
COPY --from=flink /opt/java/openjdk /opt/java/openjdk
COPY --from=flink --chown=flink:flink /opt/flink /opt/flink
COPY --from=flink /docker-entrypoint.sh /docker-entrypoint.sh
WORKDIR /opt/flink
USER flink
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["taskmanager"]
