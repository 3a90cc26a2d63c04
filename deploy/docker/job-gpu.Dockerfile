# The tagging job for NVIDIA GPUs (deploy/kubernetes/flink-deployment-gpu.yaml): job.Dockerfile on the CUDA Flink image
# (flink-gpu.Dockerfile), with the job jar built with -Pgpu (onnxruntime_gpu). From the repository root:
#   mvn -B -DskipTests -Pgpu package
#   docker build -f deploy/docker/flink-gpu.Dockerfile -t mlpstream/flink-gpu:2.2.1 deploy/docker
#   docker build -f deploy/docker/job-gpu.Dockerfile -t <registry>/mlpstream/flink-job-gpu:0.1.0 .
FROM mlpstream/flink-gpu:2.2.1
RUN mkdir -p /opt/flink/plugins/s3-fs-presto && ln -s /opt/flink/opt/flink-s3-fs-presto-*.jar /opt/flink/plugins/s3-fs-presto/
COPY --chown=flink:flink target/mlpstream-0.1.0-SNAPSHOT-job.jar /opt/flink/usrlib/mlpstream-job.jar
COPY --chown=flink:flink jobs/ /opt/mlpstream/jobs/
