import { PageSkeleton } from "@/components/skeleton";

export default function Loading() {
  return <PageSkeleton variant="table" label="Loading agents…" />;
}
