-- The MLflow tracking server's own database beside LTO's (run once, on an empty data volume).
CREATE DATABASE mlflow OWNER lto;
