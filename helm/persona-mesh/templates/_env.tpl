{{/* Container env entries that several components share. */}}

{{/* PM_METRICS_PORT of a gRPC service: its own port, or -1 when metrics are off. Context: dict "root" $ "port" 50052. */}}
{{- define "persona-mesh.env.metrics" -}}
- name: PM_METRICS_PORT
  value: {{ ternary (include "persona-mesh.metricsPort" .port) "-1" .root.Values.metrics.enabled | quote }}
{{- end }}

{{/* The LLM API key, read from an existing Secret. */}}
{{- define "persona-mesh.env.llmKey" -}}
{{- if .Values.llm.existingSecret }}
- name: PM_LLM_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.llm.existingSecret }}
      key: {{ .Values.llm.apiKeyKey }}
{{- end }}
{{- end }}
