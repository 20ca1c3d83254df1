export async function benchRedisBytes(): Promise<void> {}
