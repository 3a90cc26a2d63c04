# The tagging job for Flink's application mode (Kubernetes: deploy/kubernetes/flink-deployment.yaml): the official
# Flink image with the job jar in usrlib/, the job configurations, and the S3 file system for checkpoints and savepoints.
# Build from the repository root after `mvn -B -DskipTests package`:
#   docker build -f deploy/docker/job.Dockerfile -t <registry>/mlpstream/flink-job:0.1.0 .
FROM flink:2.2.1-java17
RUN mkdir -p /opt/flink/plugins/s3-fs-presto && ln -s /opt/flink/opt/flink-s3-fs-presto-*.jar /opt/flink/plugins/s3-fs-presto/
COPY --chown=flink:flink target/mlpstream-0.1.0-SNAPSHOT-job.jar /opt/flink/usrlib/mlpstream-job.jar
COPY --chown=flink:flink jobs/ /opt/mlpstream/jobs/
