import { PageSkeleton } from "@/components/skeleton";

export default function ConsoleLoading() {
  return <PageSkeleton />;
}
